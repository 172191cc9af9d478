build-dev/obj/shared/fr_render.o: shared/fr_render.c shared/fr_video_in.h \
 shared/fr_loss.h shared/fr_plane.h shared/fr_status.h
shared/fr_video_in.h:
shared/fr_loss.h:
shared/fr_plane.h:
shared/fr_status.h:
