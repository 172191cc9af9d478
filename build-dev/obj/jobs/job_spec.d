build-dev/obj/jobs/job_spec.o: jobs/job_spec.c jobs/job_spec.h \
 shared/fr_status.h shared/run_settings.h shared/fr_opts.h \
 shared/fr_status.h shared/fr_remux.h shared/fr_pktlist.h \
 shared/fr_video_in.h shared/fr_loss.h shared/fr_plane.h \
 shared/fr_shots_opts.h
jobs/job_spec.h:
shared/fr_status.h:
shared/run_settings.h:
shared/fr_opts.h:
shared/fr_status.h:
shared/fr_remux.h:
shared/fr_pktlist.h:
shared/fr_video_in.h:
shared/fr_loss.h:
shared/fr_plane.h:
shared/fr_shots_opts.h:
