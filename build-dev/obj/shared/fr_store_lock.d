build-dev/obj/shared/fr_store_lock.o: shared/fr_store_lock.c \
 shared/fr_store_lock.h shared/fr_status.h shared/fr_sys.h
shared/fr_store_lock.h:
shared/fr_status.h:
shared/fr_sys.h:
