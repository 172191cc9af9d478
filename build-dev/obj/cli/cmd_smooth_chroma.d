build-dev/obj/cli/cmd_smooth_chroma.o: cli/cmd_smooth_chroma.c cli/cli.h \
 cli/cli_commands.h shared/fr_version.h shared/fr_opts.h \
 shared/fr_status.h nodes/flow.h shared/fr_status.h shared/fr_log.h \
 nodes/smooth.h
cli/cli.h:
cli/cli_commands.h:
shared/fr_version.h:
shared/fr_opts.h:
shared/fr_status.h:
nodes/flow.h:
shared/fr_status.h:
shared/fr_log.h:
nodes/smooth.h:
