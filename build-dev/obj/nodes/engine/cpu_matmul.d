build-dev/obj/nodes/engine/cpu_matmul.o: nodes/engine/cpu_matmul.c \
 nodes/engine/backend_cpu.h nodes/engine/fr_backend.h \
 nodes/engine/fr_graph.h shared/fr_status.h
nodes/engine/backend_cpu.h:
nodes/engine/fr_backend.h:
nodes/engine/fr_graph.h:
shared/fr_status.h:
