build-dev/obj/cli/cmd_verify.o: cli/cmd_verify.c cli/cli.h \
 cli/cli_commands.h shared/fr_version.h shared/fr_framemd5.h \
 shared/fr_status.h shared/fr_opts.h shared/fr_store.h shared/fr_loss.h \
 shared/fr_verify_store.h
cli/cli.h:
cli/cli_commands.h:
shared/fr_version.h:
shared/fr_framemd5.h:
shared/fr_status.h:
shared/fr_opts.h:
shared/fr_store.h:
shared/fr_loss.h:
shared/fr_verify_store.h:
