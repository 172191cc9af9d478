build-dev/obj/cluster/launch.o: cluster/launch.c cluster/launch.h \
 shared/fr_launch_rank.h shared/fr_status.h shared/fr_error_line.h
cluster/launch.h:
shared/fr_launch_rank.h:
shared/fr_status.h:
shared/fr_error_line.h:
