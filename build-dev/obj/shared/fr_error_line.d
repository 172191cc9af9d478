build-dev/obj/shared/fr_error_line.o: shared/fr_error_line.c \
 shared/fr_error_line.h
shared/fr_error_line.h:
