build-dev/obj/shared/fr_host.o: shared/fr_host.c shared/fr_host.h
shared/fr_host.h:
