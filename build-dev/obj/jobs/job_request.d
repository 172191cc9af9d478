build-dev/obj/jobs/job_request.o: jobs/job_request.c jobs/job_request.h \
 shared/fr_status.h
jobs/job_request.h:
shared/fr_status.h:
