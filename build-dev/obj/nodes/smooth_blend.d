build-dev/obj/nodes/smooth_blend.o: nodes/smooth_blend.c \
 nodes/smooth_impl.h nodes/flow.h shared/fr_status.h nodes/smooth.h \
 nodes/fr_bilinear.h nodes/flow_match.h
nodes/smooth_impl.h:
nodes/flow.h:
shared/fr_status.h:
nodes/smooth.h:
nodes/fr_bilinear.h:
nodes/flow_match.h:
