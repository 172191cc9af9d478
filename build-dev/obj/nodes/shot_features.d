build-dev/obj/nodes/shot_features.o: nodes/shot_features.c \
 nodes/shot_features.h shared/fr_status.h shared/fr_wire.h \
 shared/fr_status.h shared/fr_shots_feat.h shared/fr_plane.h \
 shared/fr_stream_params.h shared/fr_video_in.h shared/fr_loss.h \
 shared/fr_video_in.h
nodes/shot_features.h:
shared/fr_status.h:
shared/fr_wire.h:
shared/fr_status.h:
shared/fr_shots_feat.h:
shared/fr_plane.h:
shared/fr_stream_params.h:
shared/fr_video_in.h:
shared/fr_loss.h:
shared/fr_video_in.h:
