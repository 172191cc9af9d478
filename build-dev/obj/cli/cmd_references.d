build-dev/obj/cli/cmd_references.o: cli/cmd_references.c cli/cli.h \
 cli/cli_commands.h shared/fr_version.h shared/fr_opts.h \
 shared/fr_status.h shared/fr_video_in.h shared/fr_loss.h \
 shared/fr_plane.h coordinator/shots.h shared/fr_plane.h \
 shared/fr_shots_feat.h shared/fr_shots_opts.h shared/fr_status.h \
 shared/shots_settings.h shared/fr_opts.h shared/fr_shots_opts.h
cli/cli.h:
cli/cli_commands.h:
shared/fr_version.h:
shared/fr_opts.h:
shared/fr_status.h:
shared/fr_video_in.h:
shared/fr_loss.h:
shared/fr_plane.h:
coordinator/shots.h:
shared/fr_plane.h:
shared/fr_shots_feat.h:
shared/fr_shots_opts.h:
shared/fr_status.h:
shared/shots_settings.h:
shared/fr_opts.h:
shared/fr_shots_opts.h:
