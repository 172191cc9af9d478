build-dev/obj/tests/unit/test_engine_layers.o: \
 tests/unit/test_engine_layers.c nodes/engine/fr_backend.h \
 nodes/engine/fr_graph.h shared/fr_status.h nodes/engine/fr_graph.h
nodes/engine/fr_backend.h:
nodes/engine/fr_graph.h:
shared/fr_status.h:
nodes/engine/fr_graph.h:
