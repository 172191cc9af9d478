build-dev/obj/shared/fr_sha256.o: shared/fr_sha256.c shared/fr_sha256.h
shared/fr_sha256.h:
