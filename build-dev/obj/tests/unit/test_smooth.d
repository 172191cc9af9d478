build-dev/obj/tests/unit/test_smooth.o: tests/unit/test_smooth.c \
 nodes/smooth.h shared/fr_status.h
nodes/smooth.h:
shared/fr_status.h:
