build-dev/obj/nodes/engine/backend_cpu.o: nodes/engine/backend_cpu.c \
 nodes/engine/backend_cpu.h nodes/engine/fr_backend.h \
 nodes/engine/fr_graph.h shared/fr_status.h
nodes/engine/backend_cpu.h:
nodes/engine/fr_backend.h:
nodes/engine/fr_graph.h:
shared/fr_status.h:
