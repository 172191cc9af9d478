build-dev/obj/nodes/segment.o: nodes/segment.c nodes/segment.h \
 shared/fr_status.h shared/fr_wire.h shared/fr_status.h \
 nodes/fr_generator.h shared/fr_pktlist.h shared/fr_remux.h \
 shared/fr_pktlist.h shared/fr_video_in.h shared/fr_loss.h \
 shared/fr_plane.h shared/fr_stream_params.h shared/fr_video_in.h \
 nodes/guide.h nodes/smooth.h
nodes/segment.h:
shared/fr_status.h:
shared/fr_wire.h:
shared/fr_status.h:
nodes/fr_generator.h:
shared/fr_pktlist.h:
shared/fr_remux.h:
shared/fr_pktlist.h:
shared/fr_video_in.h:
shared/fr_loss.h:
shared/fr_plane.h:
shared/fr_stream_params.h:
shared/fr_video_in.h:
nodes/guide.h:
nodes/smooth.h:
