build-dev/obj/tests/unit/test_store.o: tests/unit/test_store.c \
 shared/fr_store.h shared/fr_loss.h shared/fr_status.h
shared/fr_store.h:
shared/fr_loss.h:
shared/fr_status.h:
