build-dev/obj/tests/unit/test_guide.o: tests/unit/test_guide.c \
 nodes/guide.h shared/fr_status.h
nodes/guide.h:
shared/fr_status.h:
