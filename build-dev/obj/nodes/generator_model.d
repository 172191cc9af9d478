build-dev/obj/nodes/generator_model.o: nodes/generator_model.c \
 nodes/engine/fr_engine.h shared/fr_model.h shared/fr_status.h \
 shared/fr_status.h shared/fr_log.h nodes/generator_impl.h \
 nodes/fr_generator.h
nodes/engine/fr_engine.h:
shared/fr_model.h:
shared/fr_status.h:
shared/fr_status.h:
shared/fr_log.h:
nodes/generator_impl.h:
nodes/fr_generator.h:
