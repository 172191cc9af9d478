build-dev/obj/shared/fr_opts.o: shared/fr_opts.c shared/fr_opts.h \
 shared/fr_status.h shared/fr_error_line.h
shared/fr_opts.h:
shared/fr_status.h:
shared/fr_error_line.h:
