build-dev/obj/shared/fr_shots_feat.o: shared/fr_shots_feat.c \
 shared/fr_shots_feat.h shared/fr_plane.h shared/fr_status.h
shared/fr_shots_feat.h:
shared/fr_plane.h:
shared/fr_status.h:
