build-dev/obj/tests/unit/test_segments.o: tests/unit/test_segments.c \
 shared/fr_pktlist.h shared/fr_status.h shared/fr_shots_feat.h \
 shared/fr_plane.h nodes/segment.h shared/fr_status.h shared/fr_wire.h \
 coordinator/shots.h shared/fr_plane.h shared/fr_shots_opts.h
shared/fr_pktlist.h:
shared/fr_status.h:
shared/fr_shots_feat.h:
shared/fr_plane.h:
nodes/segment.h:
shared/fr_status.h:
shared/fr_wire.h:
coordinator/shots.h:
shared/fr_plane.h:
shared/fr_shots_opts.h:
