build-dev/obj/shared/fr_wire.o: shared/fr_wire.c shared/fr_wire.h \
 shared/fr_status.h /usr/lib/x86_64-linux-gnu/openmpi/include/mpi.h \
 /usr/lib/x86_64-linux-gnu/openmpi/include/mpi_portable_platform.h \
 shared/fr_wire_parse.h
shared/fr_wire.h:
shared/fr_status.h:
/usr/lib/x86_64-linux-gnu/openmpi/include/mpi.h:
/usr/lib/x86_64-linux-gnu/openmpi/include/mpi_portable_platform.h:
shared/fr_wire_parse.h:
