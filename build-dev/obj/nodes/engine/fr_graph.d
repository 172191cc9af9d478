build-dev/obj/nodes/engine/fr_graph.o: nodes/engine/fr_graph.c \
 nodes/engine/fr_graph.h shared/fr_status.h
nodes/engine/fr_graph.h:
shared/fr_status.h:
