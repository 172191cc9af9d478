build-dev/obj/shared/fr_path.o: shared/fr_path.c shared/fr_path.h
shared/fr_path.h:
