build-dev/obj/coordinator/pipeline.o: coordinator/pipeline.c \
 coordinator/pipeline.h shared/fr_status.h shared/fr_wire.h \
 shared/fr_status.h shared/run_settings.h shared/fr_opts.h \
 shared/fr_remux.h shared/fr_pktlist.h shared/fr_video_in.h \
 shared/fr_loss.h shared/fr_plane.h shared/fr_shots_opts.h \
 shared/fr_error_line.h shared/fr_host.h shared/fr_log.h \
 shared/fr_remux.h shared/fr_store.h shared/fr_store_lock.h \
 shared/fr_store_refs.h shared/fr_store.h shared/fr_stream_params.h \
 shared/fr_video_in.h shared/fr_wire_parse.h shared/fr_wire.h \
 shared/fr_launch_rank.h nodes/guide.h coordinator/muxer.h \
 coordinator/packets.h shared/fr_pktlist.h coordinator/planner.h \
 shared/fr_loss.h coordinator/shots.h shared/fr_plane.h \
 shared/fr_shots_feat.h shared/fr_shots_opts.h coordinator/progress.h \
 shared/fr_progress_event.h coordinator/provenance.h \
 coordinator/references.h nodes/segment.h nodes/shot_features.h \
 nodes/smooth.h shared/fr_version.h
coordinator/pipeline.h:
shared/fr_status.h:
shared/fr_wire.h:
shared/fr_status.h:
shared/run_settings.h:
shared/fr_opts.h:
shared/fr_remux.h:
shared/fr_pktlist.h:
shared/fr_video_in.h:
shared/fr_loss.h:
shared/fr_plane.h:
shared/fr_shots_opts.h:
shared/fr_error_line.h:
shared/fr_host.h:
shared/fr_log.h:
shared/fr_remux.h:
shared/fr_store.h:
shared/fr_store_lock.h:
shared/fr_store_refs.h:
shared/fr_store.h:
shared/fr_stream_params.h:
shared/fr_video_in.h:
shared/fr_wire_parse.h:
shared/fr_wire.h:
shared/fr_launch_rank.h:
nodes/guide.h:
coordinator/muxer.h:
coordinator/packets.h:
shared/fr_pktlist.h:
coordinator/planner.h:
shared/fr_loss.h:
coordinator/shots.h:
shared/fr_plane.h:
shared/fr_shots_feat.h:
shared/fr_shots_opts.h:
coordinator/progress.h:
shared/fr_progress_event.h:
coordinator/provenance.h:
coordinator/references.h:
nodes/segment.h:
nodes/shot_features.h:
nodes/smooth.h:
shared/fr_version.h:
