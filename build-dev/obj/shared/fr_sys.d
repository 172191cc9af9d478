build-dev/obj/shared/fr_sys.o: shared/fr_sys.c shared/fr_sys.h
shared/fr_sys.h:
