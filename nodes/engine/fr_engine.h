/* fr_engine.h: the generator inference engine: a DeOldify-family U-Net read from an HDF5
 * model file (shared/fr_model.h) and run on a compute backend (fr_backend.h).
 *
 *   fr_model *m;  fr_engine *e;  fr_err err;
 *   fr_model_open(&m, "video.h5", &err);
 *   fr_engine_opts o = {.threads = 2, .backend = "cpu"};
 *   fr_engine_new(&e, m, &o, &err);      // takes the weights out of m
 *   fr_model_free(m);
 *   fr_engine_forward(e, in, n, 336, out, &err);
 *   fr_engine_free(e);
 *
 * Input: n frames of 3 x size x size float32 (NCHW, already normalised with the model's
 * input mean/std). Output: n frames of n_classes x size x size float32 (the network's
 * output, after its sigmoid range; not de-normalised). The frames go through each layer
 * together, in batches of up to fr_engine_batch() frames, through buffers planned once
 * per size for the largest batch. A frame's result does not depend on n, on the other
 * frames or on the thread count (tests/e2e/engine_isa_batch.sh checks the models, and
 * tests/unit/test_engine_layers.c every op). One read-only copy of the weights serves every size. */
#ifndef FR_ENGINE_H
#define FR_ENGINE_H

#include <stddef.h>

#include "fr_model.h"
#include "fr_status.h"

typedef struct fr_engine fr_engine;

typedef struct {
    int threads;           /* >= 1 */
    const char *backend;   /* "cpu", "cuda", NULL = automatic */
    int size;              /* input side to plan for at load; 0 = render_factor * 16 */
    int batch;             /* most frames per pass through the layers; 0 = 1. Capped so the
                              activations fit FR_ENGINE_MEMORY_MB (default 4096) */
    int device;            /* device index (the node's local rank) */
    const char *precision; /* NULL = the backend's default */
    int winograd;          /* 1, 0, or -1 for FR_ENGINE_WINOGRAD; CPU only */
} fr_engine_opts;

fr_status fr_engine_new(fr_engine **out, fr_model *m, const fr_engine_opts *opts, fr_err *err);
void fr_engine_free(fr_engine *e);

fr_status fr_engine_forward(fr_engine *e, const float *in, int n, int size, float *out, fr_err *err);

const fr_model_info *fr_engine_info(const fr_engine *e);
/* The numerics behind the output's bits ("cpu fp32 direct"), for the store's identity. */
const char *fr_engine_numerics(const fr_engine *e);
/* The largest batch the current plan runs in one pass. */
int fr_engine_batch(const fr_engine *e);
/* FLOPs of one frame at the current plan's size, and that plan's activation arena. */
double fr_engine_flops(const fr_engine *e);
size_t fr_engine_arena_bytes(const fr_engine *e);
/* Smallest input side the network accepts (the encoder's total stride). */
int fr_engine_min_size(const fr_engine *e);

#endif
