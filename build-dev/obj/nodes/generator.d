build-dev/obj/nodes/generator.o: nodes/generator.c nodes/generator_impl.h \
 nodes/fr_generator.h shared/fr_status.h
nodes/generator_impl.h:
nodes/fr_generator.h:
shared/fr_status.h:
