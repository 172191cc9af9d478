build-dev/obj/jobs/job_auth.o: jobs/job_auth.c jobs/job_auth.h \
 shared/fr_status.h shared/fr_log.h
jobs/job_auth.h:
shared/fr_status.h:
shared/fr_log.h:
