build-dev/obj/jobs/runner_local.o: jobs/runner_local.c jobs/job_runner.h \
 shared/fr_status.h
jobs/job_runner.h:
shared/fr_status.h:
