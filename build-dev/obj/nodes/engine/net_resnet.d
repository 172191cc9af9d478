build-dev/obj/nodes/engine/net_resnet.o: nodes/engine/net_resnet.c \
 nodes/engine/fr_engine_impl.h nodes/engine/fr_backend.h \
 nodes/engine/fr_graph.h shared/fr_status.h nodes/engine/fr_engine.h \
 shared/fr_model.h shared/fr_status.h
nodes/engine/fr_engine_impl.h:
nodes/engine/fr_backend.h:
nodes/engine/fr_graph.h:
shared/fr_status.h:
nodes/engine/fr_engine.h:
shared/fr_model.h:
shared/fr_status.h:
