build-dev/obj/cli/cmd_engine_forward.o: cli/cmd_engine_forward.c \
 cli/cli.h cli/cli_commands.h shared/fr_version.h \
 nodes/engine/fr_backend.h nodes/engine/fr_graph.h shared/fr_status.h \
 nodes/engine/fr_engine.h shared/fr_model.h shared/fr_status.h \
 shared/fr_opts.h
cli/cli.h:
cli/cli_commands.h:
shared/fr_version.h:
nodes/engine/fr_backend.h:
nodes/engine/fr_graph.h:
shared/fr_status.h:
nodes/engine/fr_engine.h:
shared/fr_model.h:
shared/fr_status.h:
shared/fr_opts.h:
