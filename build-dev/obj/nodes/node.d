build-dev/obj/nodes/node.o: nodes/node.c nodes/fr_node.h \
 shared/fr_status.h shared/fr_wire.h shared/fr_status.h \
 nodes/engine/fr_backend.h nodes/engine/fr_graph.h nodes/fr_generator.h \
 shared/fr_host.h shared/fr_log.h nodes/segment.h nodes/shot_features.h \
 nodes/smooth.h
nodes/fr_node.h:
shared/fr_status.h:
shared/fr_wire.h:
shared/fr_status.h:
nodes/engine/fr_backend.h:
nodes/engine/fr_graph.h:
nodes/fr_generator.h:
shared/fr_host.h:
shared/fr_log.h:
nodes/segment.h:
nodes/shot_features.h:
nodes/smooth.h:
