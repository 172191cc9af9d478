build-dev/obj/jobs/job_queue.o: jobs/job_queue.c jobs/job_queue.h \
 shared/fr_status.h jobs/job_request.h shared/fr_log.h
jobs/job_queue.h:
shared/fr_status.h:
jobs/job_request.h:
shared/fr_log.h:
