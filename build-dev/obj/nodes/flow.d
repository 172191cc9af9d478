build-dev/obj/nodes/flow.o: nodes/flow.c nodes/flow_impl.h nodes/flow.h \
 shared/fr_status.h nodes/fr_bilinear.h
nodes/flow_impl.h:
nodes/flow.h:
shared/fr_status.h:
nodes/fr_bilinear.h:
