build-dev/obj/tests/unit/test_flow.o: tests/unit/test_flow.c nodes/flow.h \
 shared/fr_status.h
nodes/flow.h:
shared/fr_status.h:
