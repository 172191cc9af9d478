build-dev/obj/shared/fr_verify_store.o: shared/fr_verify_store.c \
 shared/fr_verify_store.h shared/fr_status.h shared/fr_remux.h \
 shared/fr_pktlist.h shared/fr_video_in.h shared/fr_loss.h \
 shared/fr_plane.h shared/fr_store.h shared/fr_store_refs.h
shared/fr_verify_store.h:
shared/fr_status.h:
shared/fr_remux.h:
shared/fr_pktlist.h:
shared/fr_video_in.h:
shared/fr_loss.h:
shared/fr_plane.h:
shared/fr_store.h:
shared/fr_store_refs.h:
