build-dev/obj/shared/fr_launch_rank.o: shared/fr_launch_rank.c \
 shared/fr_launch_rank.h
shared/fr_launch_rank.h:
