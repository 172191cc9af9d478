build-dev/obj/nodes/flow_dis.o: nodes/flow_dis.c nodes/flow_impl.h \
 nodes/flow.h shared/fr_status.h nodes/fr_bilinear.h
nodes/flow_impl.h:
nodes/flow.h:
shared/fr_status.h:
nodes/fr_bilinear.h:
