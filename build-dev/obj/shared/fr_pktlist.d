build-dev/obj/shared/fr_pktlist.o: shared/fr_pktlist.c \
 shared/fr_pktlist.h shared/fr_status.h shared/fr_sys.h
shared/fr_pktlist.h:
shared/fr_status.h:
shared/fr_sys.h:
