build-dev/obj/shared/fr_remux.o: shared/fr_remux.c shared/fr_remux.h \
 shared/fr_status.h shared/fr_pktlist.h shared/fr_video_in.h \
 shared/fr_loss.h shared/fr_plane.h shared/fr_framemd5.h shared/fr_log.h \
 shared/fr_outfile.h
shared/fr_remux.h:
shared/fr_status.h:
shared/fr_pktlist.h:
shared/fr_video_in.h:
shared/fr_loss.h:
shared/fr_plane.h:
shared/fr_framemd5.h:
shared/fr_log.h:
shared/fr_outfile.h:
