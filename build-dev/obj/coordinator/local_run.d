build-dev/obj/coordinator/local_run.o: coordinator/local_run.c \
 coordinator/local_run.h shared/fr_remux.h shared/fr_status.h \
 shared/fr_pktlist.h shared/fr_video_in.h shared/fr_loss.h \
 shared/fr_plane.h shared/fr_status.h shared/fr_store.h \
 nodes/fr_generator.h shared/fr_video_in.h coordinator/progress.h \
 shared/fr_progress_event.h
coordinator/local_run.h:
shared/fr_remux.h:
shared/fr_status.h:
shared/fr_pktlist.h:
shared/fr_video_in.h:
shared/fr_loss.h:
shared/fr_plane.h:
shared/fr_status.h:
shared/fr_store.h:
nodes/fr_generator.h:
shared/fr_video_in.h:
coordinator/progress.h:
shared/fr_progress_event.h:
