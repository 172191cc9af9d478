build-dev/obj/nodes/guide_prop.o: nodes/guide_prop.c nodes/flow_match.h \
 nodes/fr_bilinear.h nodes/guide_impl.h nodes/flow.h shared/fr_status.h \
 nodes/guide.h
nodes/flow_match.h:
nodes/fr_bilinear.h:
nodes/guide_impl.h:
nodes/flow.h:
shared/fr_status.h:
nodes/guide.h:
