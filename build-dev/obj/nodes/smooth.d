build-dev/obj/nodes/smooth.o: nodes/smooth.c nodes/smooth_impl.h \
 nodes/flow.h shared/fr_status.h nodes/smooth.h
nodes/smooth_impl.h:
nodes/flow.h:
shared/fr_status.h:
nodes/smooth.h:
