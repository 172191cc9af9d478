build-dev/obj/tests/unit/test_jobs.o: tests/unit/test_jobs.c \
 shared/fr_opts.h shared/fr_status.h jobs/job_queue.h shared/fr_status.h \
 jobs/job_request.h jobs/job_request.h jobs/job_server.h jobs/job_spec.h \
 shared/run_settings.h shared/fr_opts.h shared/fr_remux.h \
 shared/fr_pktlist.h shared/fr_video_in.h shared/fr_loss.h \
 shared/fr_plane.h shared/fr_shots_opts.h
shared/fr_opts.h:
shared/fr_status.h:
jobs/job_queue.h:
shared/fr_status.h:
jobs/job_request.h:
jobs/job_request.h:
jobs/job_server.h:
jobs/job_spec.h:
shared/run_settings.h:
shared/fr_opts.h:
shared/fr_remux.h:
shared/fr_pktlist.h:
shared/fr_video_in.h:
shared/fr_loss.h:
shared/fr_plane.h:
shared/fr_shots_opts.h:
