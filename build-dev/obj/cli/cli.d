build-dev/obj/cli/cli.o: cli/cli.c cli/cli.h cli/cli_commands.h \
 shared/fr_version.h shared/fr_error_line.h
cli/cli.h:
cli/cli_commands.h:
shared/fr_version.h:
shared/fr_error_line.h:
