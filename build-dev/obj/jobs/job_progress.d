build-dev/obj/jobs/job_progress.o: jobs/job_progress.c \
 jobs/job_progress.h shared/fr_progress_event.h shared/fr_log.h \
 jobs/job_request.h shared/fr_status.h
jobs/job_progress.h:
shared/fr_progress_event.h:
shared/fr_log.h:
jobs/job_request.h:
shared/fr_status.h:
