build-dev/obj/shared/fr_plane.o: shared/fr_plane.c shared/fr_plane.h \
 shared/fr_status.h
shared/fr_plane.h:
shared/fr_status.h:
