/* generator_impl.h: what a generator implementation provides (private to nodes/).
 *
 * fr_generator is a small vtable plus a context pointer, in the style of
 * ggml-backend-impl.h: generator.c dispatches on the spec, and each kind of
 * generator (built-in test generators, the engine-backed model) fills one in. */
#ifndef FR_GENERATOR_IMPL_H
#define FR_GENERATOR_IMPL_H

#include "fr_generator.h"

typedef struct {
    fr_status (*colorize)(void *ctx, const uint8_t *gray, int n, int size, uint8_t *chroma,
                          fr_err *err);
    void (*free)(void *ctx); /* may be NULL */
} fr_generator_ops;

struct fr_generator {
    const fr_generator_ops *ops;
    void *ctx;
    char name[128];
    char hash[65]; /* hex sha256 of the weights ("" for built-ins' fixed names) */
    char numerics[64];
};

/* Opens a model file into g (engine-backed); defined in generator_model.c. */
fr_status fr_generator_open_model(fr_generator *g, const char *path, const fr_generator_opts *opts,
                                  fr_err *err);

#endif
