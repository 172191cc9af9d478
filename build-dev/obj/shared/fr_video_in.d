build-dev/obj/shared/fr_video_in.o: shared/fr_video_in.c \
 shared/fr_video_in.h shared/fr_loss.h shared/fr_plane.h \
 shared/fr_status.h shared/fr_log.h shared/fr_pktlist.h
shared/fr_video_in.h:
shared/fr_loss.h:
shared/fr_plane.h:
shared/fr_status.h:
shared/fr_log.h:
shared/fr_pktlist.h:
