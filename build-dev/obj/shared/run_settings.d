build-dev/obj/shared/run_settings.o: shared/run_settings.c \
 shared/run_settings.h shared/fr_opts.h shared/fr_status.h \
 shared/fr_remux.h shared/fr_pktlist.h shared/fr_video_in.h \
 shared/fr_loss.h shared/fr_plane.h shared/fr_shots_opts.h \
 shared/fr_path.h shared/fr_wire.h shared/shots_settings.h
shared/run_settings.h:
shared/fr_opts.h:
shared/fr_status.h:
shared/fr_remux.h:
shared/fr_pktlist.h:
shared/fr_video_in.h:
shared/fr_loss.h:
shared/fr_plane.h:
shared/fr_shots_opts.h:
shared/fr_path.h:
shared/fr_wire.h:
shared/shots_settings.h:
