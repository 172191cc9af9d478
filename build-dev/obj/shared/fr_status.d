build-dev/obj/shared/fr_status.o: shared/fr_status.c shared/fr_status.h
shared/fr_status.h:
