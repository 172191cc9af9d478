build-dev/obj/cli/main.o: cli/main.c cli/cli.h cli/cli_commands.h \
 shared/fr_version.h
cli/cli.h:
cli/cli_commands.h:
shared/fr_version.h:
