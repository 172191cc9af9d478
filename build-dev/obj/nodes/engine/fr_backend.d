build-dev/obj/nodes/engine/fr_backend.o: nodes/engine/fr_backend.c \
 nodes/engine/fr_backend.h nodes/engine/fr_graph.h shared/fr_status.h
nodes/engine/fr_backend.h:
nodes/engine/fr_graph.h:
shared/fr_status.h:
