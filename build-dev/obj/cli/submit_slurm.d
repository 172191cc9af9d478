build-dev/obj/cli/submit_slurm.o: cli/submit_slurm.c cli/submit_slurm.h \
 shared/fr_opts.h shared/fr_status.h cli/cli.h cli/cli_commands.h \
 shared/fr_version.h shared/fr_slurm.h jobs/job_spec.h shared/fr_status.h \
 shared/run_settings.h shared/fr_opts.h shared/fr_remux.h \
 shared/fr_pktlist.h shared/fr_video_in.h shared/fr_loss.h \
 shared/fr_plane.h shared/fr_shots_opts.h
cli/submit_slurm.h:
shared/fr_opts.h:
shared/fr_status.h:
cli/cli.h:
cli/cli_commands.h:
shared/fr_version.h:
shared/fr_slurm.h:
jobs/job_spec.h:
shared/fr_status.h:
shared/run_settings.h:
shared/fr_opts.h:
shared/fr_remux.h:
shared/fr_pktlist.h:
shared/fr_video_in.h:
shared/fr_loss.h:
shared/fr_plane.h:
shared/fr_shots_opts.h:
