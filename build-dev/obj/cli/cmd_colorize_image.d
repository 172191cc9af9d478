build-dev/obj/cli/cmd_colorize_image.o: cli/cmd_colorize_image.c \
 cli/cli.h cli/cli_commands.h shared/fr_version.h shared/fr_opts.h \
 shared/fr_status.h shared/fr_path.h coordinator/local_run.h \
 shared/fr_remux.h shared/fr_pktlist.h shared/fr_video_in.h \
 shared/fr_loss.h shared/fr_plane.h shared/fr_status.h shared/fr_store.h
cli/cli.h:
cli/cli_commands.h:
shared/fr_version.h:
shared/fr_opts.h:
shared/fr_status.h:
shared/fr_path.h:
coordinator/local_run.h:
shared/fr_remux.h:
shared/fr_pktlist.h:
shared/fr_video_in.h:
shared/fr_loss.h:
shared/fr_plane.h:
shared/fr_status.h:
shared/fr_store.h:
