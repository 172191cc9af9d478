build-dev/obj/coordinator/progress.o: coordinator/progress.c \
 coordinator/progress.h shared/fr_progress_event.h
coordinator/progress.h:
shared/fr_progress_event.h:
