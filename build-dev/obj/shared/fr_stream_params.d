build-dev/obj/shared/fr_stream_params.o: shared/fr_stream_params.c \
 shared/fr_stream_params.h shared/fr_status.h shared/fr_video_in.h \
 shared/fr_loss.h shared/fr_plane.h
shared/fr_stream_params.h:
shared/fr_status.h:
shared/fr_video_in.h:
shared/fr_loss.h:
shared/fr_plane.h:
