build-dev/obj/shared/fr_wire_parse.o: shared/fr_wire_parse.c \
 shared/fr_wire_parse.h shared/fr_status.h shared/fr_wire.h
shared/fr_wire_parse.h:
shared/fr_status.h:
shared/fr_wire.h:
