build-dev/obj/shared/fr_image_chroma.o: shared/fr_image_chroma.c \
 shared/fr_image_chroma.h shared/fr_status.h
shared/fr_image_chroma.h:
shared/fr_status.h:
