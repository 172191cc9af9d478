build-dev/obj/shared/shots_settings.o: shared/shots_settings.c \
 shared/shots_settings.h shared/fr_opts.h shared/fr_status.h \
 shared/fr_shots_opts.h
shared/shots_settings.h:
shared/fr_opts.h:
shared/fr_status.h:
shared/fr_shots_opts.h:
