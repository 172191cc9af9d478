build-dev/obj/coordinator/planner.o: coordinator/planner.c \
 coordinator/planner.h shared/fr_status.h shared/fr_loss.h \
 shared/fr_store.h shared/fr_loss.h shared/fr_status.h \
 coordinator/shots.h shared/fr_plane.h shared/fr_shots_feat.h \
 shared/fr_plane.h shared/fr_shots_opts.h shared/fr_log.h \
 shared/fr_video_in.h
coordinator/planner.h:
shared/fr_status.h:
shared/fr_loss.h:
shared/fr_store.h:
shared/fr_loss.h:
shared/fr_status.h:
coordinator/shots.h:
shared/fr_plane.h:
shared/fr_shots_feat.h:
shared/fr_plane.h:
shared/fr_shots_opts.h:
shared/fr_log.h:
shared/fr_video_in.h:
