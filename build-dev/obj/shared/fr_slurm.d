build-dev/obj/shared/fr_slurm.o: shared/fr_slurm.c shared/fr_slurm.h \
 shared/fr_status.h
shared/fr_slurm.h:
shared/fr_status.h:
