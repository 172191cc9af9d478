build-dev/obj/jobs/runner_slurm.o: jobs/runner_slurm.c jobs/job_runner.h \
 shared/fr_status.h shared/fr_slurm.h shared/fr_status.h
jobs/job_runner.h:
shared/fr_status.h:
shared/fr_slurm.h:
shared/fr_status.h:
