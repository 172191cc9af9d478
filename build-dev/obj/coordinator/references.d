build-dev/obj/coordinator/references.o: coordinator/references.c \
 coordinator/references.h shared/fr_status.h shared/fr_store.h \
 shared/fr_loss.h shared/fr_status.h shared/fr_image_chroma.h \
 shared/fr_log.h shared/fr_path.h shared/fr_sha256.h
coordinator/references.h:
shared/fr_status.h:
shared/fr_store.h:
shared/fr_loss.h:
shared/fr_status.h:
shared/fr_image_chroma.h:
shared/fr_log.h:
shared/fr_path.h:
shared/fr_sha256.h:
