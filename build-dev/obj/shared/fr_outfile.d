build-dev/obj/shared/fr_outfile.o: shared/fr_outfile.c \
 shared/fr_outfile.h shared/fr_status.h shared/fr_sys.h
shared/fr_outfile.h:
shared/fr_status.h:
shared/fr_sys.h:
