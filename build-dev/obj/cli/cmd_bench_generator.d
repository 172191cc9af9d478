build-dev/obj/cli/cmd_bench_generator.o: cli/cmd_bench_generator.c \
 cli/cli.h cli/cli_commands.h shared/fr_version.h \
 nodes/engine/fr_backend.h nodes/engine/fr_graph.h shared/fr_status.h \
 shared/fr_opts.h shared/fr_status.h nodes/fr_generator.h
cli/cli.h:
cli/cli_commands.h:
shared/fr_version.h:
nodes/engine/fr_backend.h:
nodes/engine/fr_graph.h:
shared/fr_status.h:
shared/fr_opts.h:
shared/fr_status.h:
nodes/fr_generator.h:
