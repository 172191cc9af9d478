build-dev/obj/tests/unit/test_faults.o: tests/unit/test_faults.c \
 shared/fr_remux.h shared/fr_status.h shared/fr_pktlist.h \
 shared/fr_video_in.h shared/fr_loss.h shared/fr_plane.h \
 shared/fr_store.h shared/fr_sys.h
shared/fr_remux.h:
shared/fr_status.h:
shared/fr_pktlist.h:
shared/fr_video_in.h:
shared/fr_loss.h:
shared/fr_plane.h:
shared/fr_store.h:
shared/fr_sys.h:
