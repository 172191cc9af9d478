build-dev/obj/nodes/guide_stats.o: nodes/guide_stats.c nodes/guide_impl.h \
 nodes/flow.h shared/fr_status.h nodes/guide.h
nodes/guide_impl.h:
nodes/flow.h:
shared/fr_status.h:
nodes/guide.h:
