build-dev/obj/shared/fr_shots_opts.o: shared/fr_shots_opts.c \
 shared/fr_shots_opts.h shared/fr_status.h
shared/fr_shots_opts.h:
shared/fr_status.h:
