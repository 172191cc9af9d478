build-dev/obj/cli/cmd_probe.o: cli/cmd_probe.c cli/cli.h \
 cli/cli_commands.h shared/fr_version.h shared/fr_opts.h \
 shared/fr_status.h shared/fr_status.h
cli/cli.h:
cli/cli_commands.h:
shared/fr_version.h:
shared/fr_opts.h:
shared/fr_status.h:
shared/fr_status.h:
