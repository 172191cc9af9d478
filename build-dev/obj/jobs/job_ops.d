build-dev/obj/jobs/job_ops.o: jobs/job_ops.c jobs/job_ops.h \
 jobs/job_auth.h shared/fr_status.h jobs/job_queue.h jobs/job_request.h \
 jobs/job_runner.h jobs/job_server.h shared/fr_opts.h shared/fr_status.h \
 shared/fr_version.h shared/fr_log.h jobs/job_spec.h \
 shared/run_settings.h shared/fr_opts.h shared/fr_remux.h \
 shared/fr_pktlist.h shared/fr_video_in.h shared/fr_loss.h \
 shared/fr_plane.h shared/fr_shots_opts.h
jobs/job_ops.h:
jobs/job_auth.h:
shared/fr_status.h:
jobs/job_queue.h:
jobs/job_request.h:
jobs/job_runner.h:
jobs/job_server.h:
shared/fr_opts.h:
shared/fr_status.h:
shared/fr_version.h:
shared/fr_log.h:
jobs/job_spec.h:
shared/run_settings.h:
shared/fr_opts.h:
shared/fr_remux.h:
shared/fr_pktlist.h:
shared/fr_video_in.h:
shared/fr_loss.h:
shared/fr_plane.h:
shared/fr_shots_opts.h:
