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
 * output, after its sigmoid range; not de-normalised). Frames run one at a time through
 * buffers planned once per size, so a frame's result never depends on n, on the other
 * frames, or on the thread count. One read-only copy of the weights serves every size. */
#ifndef FR_ENGINE_H
#define FR_ENGINE_H

#include <stddef.h>

#include "fr_model.h"
#include "fr_status.h"

typedef struct fr_engine fr_engine;

typedef struct {
    int threads;         /* >= 1 */
    const char *backend; /* "cpu", "cuda", NULL = automatic */
    int size;            /* input side to plan for at load; 0 = render_factor * 16 */
} fr_engine_opts;

fr_status fr_engine_new(fr_engine **out, fr_model *m, const fr_engine_opts *opts, fr_err *err);
void fr_engine_free(fr_engine *e);

fr_status fr_engine_forward(fr_engine *e, const float *in, int n, int size, float *out, fr_err *err);

const fr_model_info *fr_engine_info(const fr_engine *e);
const char *fr_engine_backend_name(const fr_engine *e);
/* FLOPs of one frame at the current plan's size, and that plan's activation arena. */
double fr_engine_flops(const fr_engine *e);
size_t fr_engine_arena_bytes(const fr_engine *e);
/* Smallest input side the network accepts (the encoder's total stride). */
int fr_engine_min_size(const fr_engine *e);

#endif
