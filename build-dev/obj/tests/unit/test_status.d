build-dev/obj/tests/unit/test_status.o: tests/unit/test_status.c \
 shared/fr_status.h
shared/fr_status.h:
