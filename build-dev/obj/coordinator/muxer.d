build-dev/obj/coordinator/muxer.o: coordinator/muxer.c \
 coordinator/muxer.h shared/fr_remux.h shared/fr_status.h \
 shared/fr_pktlist.h shared/fr_video_in.h shared/fr_loss.h \
 shared/fr_plane.h shared/fr_status.h shared/fr_framemd5.h \
 shared/fr_pktlist.h
coordinator/muxer.h:
shared/fr_remux.h:
shared/fr_status.h:
shared/fr_pktlist.h:
shared/fr_video_in.h:
shared/fr_loss.h:
shared/fr_plane.h:
shared/fr_status.h:
shared/fr_framemd5.h:
shared/fr_pktlist.h:
