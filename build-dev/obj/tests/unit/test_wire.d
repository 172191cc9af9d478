build-dev/obj/tests/unit/test_wire.o: tests/unit/test_wire.c \
 shared/fr_wire.h shared/fr_status.h shared/fr_wire_parse.h \
 shared/fr_wire.h
shared/fr_wire.h:
shared/fr_status.h:
shared/fr_wire_parse.h:
shared/fr_wire.h:
