build-dev/obj/shared/fr_framemd5.o: shared/fr_framemd5.c \
 shared/fr_framemd5.h shared/fr_status.h shared/fr_pktlist.h \
 shared/fr_sys.h
shared/fr_framemd5.h:
shared/fr_status.h:
shared/fr_pktlist.h:
shared/fr_sys.h:
