build-dev/obj/cli/cmd_render_gray.o: cli/cmd_render_gray.c cli/cli.h \
 cli/cli_commands.h shared/fr_version.h shared/fr_opts.h \
 shared/fr_status.h shared/fr_video_in.h shared/fr_loss.h \
 shared/fr_plane.h
cli/cli.h:
cli/cli_commands.h:
shared/fr_version.h:
shared/fr_opts.h:
shared/fr_status.h:
shared/fr_video_in.h:
shared/fr_loss.h:
shared/fr_plane.h:
