build-dev/obj/jobs/filmrestored.o: jobs/filmrestored.c shared/fr_log.h \
 shared/fr_opts.h shared/fr_status.h jobs/job_auth.h shared/fr_status.h \
 jobs/job_server.h
shared/fr_log.h:
shared/fr_opts.h:
shared/fr_status.h:
jobs/job_auth.h:
shared/fr_status.h:
jobs/job_server.h:
