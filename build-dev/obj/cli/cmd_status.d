build-dev/obj/cli/cmd_status.o: cli/cmd_status.c cli/cli.h \
 cli/cli_commands.h shared/fr_version.h cli/job_cli.h shared/fr_opts.h \
 shared/fr_status.h jobs/job_client.h shared/fr_status.h
cli/cli.h:
cli/cli_commands.h:
shared/fr_version.h:
cli/job_cli.h:
shared/fr_opts.h:
shared/fr_status.h:
jobs/job_client.h:
shared/fr_status.h:
