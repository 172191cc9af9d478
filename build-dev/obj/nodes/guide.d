build-dev/obj/nodes/guide.o: nodes/guide.c nodes/guide_impl.h \
 nodes/flow.h shared/fr_status.h nodes/guide.h
nodes/guide_impl.h:
nodes/flow.h:
shared/fr_status.h:
nodes/guide.h:
