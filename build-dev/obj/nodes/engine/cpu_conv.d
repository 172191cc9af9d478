build-dev/obj/nodes/engine/cpu_conv.o: nodes/engine/cpu_conv.c \
 nodes/engine/backend_cpu.h nodes/engine/fr_backend.h \
 nodes/engine/fr_graph.h shared/fr_status.h shared/fr_log.h
nodes/engine/backend_cpu.h:
nodes/engine/fr_backend.h:
nodes/engine/fr_graph.h:
shared/fr_status.h:
shared/fr_log.h:
