build-dev/obj/nodes/flow_match.o: nodes/flow_match.c nodes/flow_match.h
nodes/flow_match.h:
