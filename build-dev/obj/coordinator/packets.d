build-dev/obj/coordinator/packets.o: coordinator/packets.c \
 coordinator/packets.h shared/fr_pktlist.h shared/fr_status.h \
 shared/fr_status.h
coordinator/packets.h:
shared/fr_pktlist.h:
shared/fr_status.h:
shared/fr_status.h:
