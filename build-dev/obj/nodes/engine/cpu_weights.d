build-dev/obj/nodes/engine/cpu_weights.o: nodes/engine/cpu_weights.c \
 nodes/engine/backend_cpu.h nodes/engine/fr_backend.h \
 nodes/engine/fr_graph.h shared/fr_status.h
nodes/engine/backend_cpu.h:
nodes/engine/fr_backend.h:
nodes/engine/fr_graph.h:
shared/fr_status.h:
