build-dev/obj/coordinator/provenance.o: coordinator/provenance.c \
 coordinator/provenance.h shared/fr_remux.h shared/fr_status.h \
 shared/fr_pktlist.h shared/fr_video_in.h shared/fr_loss.h \
 shared/fr_plane.h shared/fr_store.h shared/run_settings.h \
 shared/fr_opts.h shared/fr_remux.h shared/fr_shots_opts.h \
 shared/fr_version.h shared/fr_video_in.h coordinator/planner.h \
 shared/fr_status.h shared/fr_loss.h coordinator/shots.h \
 shared/fr_plane.h shared/fr_shots_feat.h shared/fr_shots_opts.h \
 coordinator/progress.h shared/fr_progress_event.h
coordinator/provenance.h:
shared/fr_remux.h:
shared/fr_status.h:
shared/fr_pktlist.h:
shared/fr_video_in.h:
shared/fr_loss.h:
shared/fr_plane.h:
shared/fr_store.h:
shared/run_settings.h:
shared/fr_opts.h:
shared/fr_remux.h:
shared/fr_shots_opts.h:
shared/fr_version.h:
shared/fr_video_in.h:
coordinator/planner.h:
shared/fr_status.h:
shared/fr_loss.h:
coordinator/shots.h:
shared/fr_plane.h:
shared/fr_shots_feat.h:
shared/fr_shots_opts.h:
coordinator/progress.h:
shared/fr_progress_event.h:
