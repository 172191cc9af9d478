build-dev/obj/cli/cmd_run.o: cli/cmd_run.c cli/cli.h cli/cli_commands.h \
 shared/fr_version.h coordinator/local_run.h shared/fr_remux.h \
 shared/fr_status.h shared/fr_pktlist.h shared/fr_video_in.h \
 shared/fr_loss.h shared/fr_plane.h shared/fr_status.h shared/fr_store.h \
 nodes/fr_node.h shared/fr_wire.h jobs/job_progress.h \
 shared/fr_progress_event.h cluster/launch.h shared/fr_launch_rank.h \
 coordinator/pipeline.h shared/run_settings.h shared/fr_opts.h \
 shared/fr_remux.h shared/fr_shots_opts.h coordinator/progress.h \
 coordinator/provenance.h shared/fr_log.h shared/fr_video_in.h
cli/cli.h:
cli/cli_commands.h:
shared/fr_version.h:
coordinator/local_run.h:
shared/fr_remux.h:
shared/fr_status.h:
shared/fr_pktlist.h:
shared/fr_video_in.h:
shared/fr_loss.h:
shared/fr_plane.h:
shared/fr_status.h:
shared/fr_store.h:
nodes/fr_node.h:
shared/fr_wire.h:
jobs/job_progress.h:
shared/fr_progress_event.h:
cluster/launch.h:
shared/fr_launch_rank.h:
coordinator/pipeline.h:
shared/run_settings.h:
shared/fr_opts.h:
shared/fr_remux.h:
shared/fr_shots_opts.h:
coordinator/progress.h:
coordinator/provenance.h:
shared/fr_log.h:
shared/fr_video_in.h:
