build-dev/obj/coordinator/shots.o: coordinator/shots.c \
 coordinator/shots.h shared/fr_plane.h shared/fr_status.h \
 shared/fr_shots_feat.h shared/fr_plane.h shared/fr_shots_opts.h \
 shared/fr_status.h
coordinator/shots.h:
shared/fr_plane.h:
shared/fr_status.h:
shared/fr_shots_feat.h:
shared/fr_plane.h:
shared/fr_shots_opts.h:
shared/fr_status.h:
