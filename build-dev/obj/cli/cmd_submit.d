build-dev/obj/cli/cmd_submit.o: cli/cmd_submit.c cli/cli.h \
 cli/cli_commands.h shared/fr_version.h cli/job_cli.h shared/fr_opts.h \
 shared/fr_status.h jobs/job_client.h shared/fr_status.h \
 shared/run_settings.h shared/fr_opts.h shared/fr_remux.h \
 shared/fr_pktlist.h shared/fr_video_in.h shared/fr_loss.h \
 shared/fr_plane.h shared/fr_shots_opts.h cli/submit_slurm.h
cli/cli.h:
cli/cli_commands.h:
shared/fr_version.h:
cli/job_cli.h:
shared/fr_opts.h:
shared/fr_status.h:
jobs/job_client.h:
shared/fr_status.h:
shared/run_settings.h:
shared/fr_opts.h:
shared/fr_remux.h:
shared/fr_pktlist.h:
shared/fr_video_in.h:
shared/fr_loss.h:
shared/fr_plane.h:
shared/fr_shots_opts.h:
cli/submit_slurm.h:
