build-dev/obj/shared/fr_log.o: shared/fr_log.c shared/fr_log.h
shared/fr_log.h:
