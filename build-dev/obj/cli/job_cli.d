build-dev/obj/cli/job_cli.o: cli/job_cli.c cli/job_cli.h shared/fr_opts.h \
 shared/fr_status.h jobs/job_client.h shared/fr_status.h cli/cli.h \
 cli/cli_commands.h shared/fr_version.h
cli/job_cli.h:
shared/fr_opts.h:
shared/fr_status.h:
jobs/job_client.h:
shared/fr_status.h:
cli/cli.h:
cli/cli_commands.h:
shared/fr_version.h:
