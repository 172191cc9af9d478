build-dev/obj/nodes/engine/cpu_eltwise.o: nodes/engine/cpu_eltwise.c \
 nodes/engine/backend_cpu.h nodes/engine/fr_backend.h \
 nodes/engine/fr_graph.h shared/fr_status.h
nodes/engine/backend_cpu.h:
nodes/engine/fr_backend.h:
nodes/engine/fr_graph.h:
shared/fr_status.h:
