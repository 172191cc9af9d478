build-dev/obj/jobs/job_client.o: jobs/job_client.c jobs/job_client.h \
 shared/fr_status.h jobs/job_auth.h
jobs/job_client.h:
shared/fr_status.h:
jobs/job_auth.h:
