build-dev/obj/jobs/job_server.o: jobs/job_server.c jobs/job_server.h \
 shared/fr_opts.h shared/fr_status.h shared/fr_status.h shared/fr_log.h \
 jobs/job_auth.h jobs/job_ops.h jobs/job_queue.h jobs/job_request.h \
 jobs/job_runner.h
jobs/job_server.h:
shared/fr_opts.h:
shared/fr_status.h:
shared/fr_status.h:
shared/fr_log.h:
jobs/job_auth.h:
jobs/job_ops.h:
jobs/job_queue.h:
jobs/job_request.h:
jobs/job_runner.h:
