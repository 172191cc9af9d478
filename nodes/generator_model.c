/* generator_model.c: the engine-backed generator for model files (nodes/engine/).
 *
 * It does DeOldify's pre- and post-processing (filters.py) around the network, on the
 * render-size gray frames the pipeline sends:
 *   gray uint8 -> 3 equal channels / 255 -> (x - mean) / std (the model's input stats)
 *   -> network -> x * std + mean (its output stats) -> x 255, clamp to [0, 255], round
 *   -> RGB -> full-range Cb, Cr in the film's matrix (fr_colour_matrix.h; rounded,
 *   clamped) -> interleaved chroma.
 * The whole batch goes to the engine in one call (it runs the frames through each layer
 * together); a frame's chroma still depends on nothing but the frame (fr_generator.h's
 * contract, which the engine keeps across batch sizes). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_colour_matrix.h"
#include "fr_engine.h"
#include "fr_log.h"
#include "fr_model.h"
#include "generator_impl.h"

typedef struct {
    fr_engine *e;
    float *in, *out; /* cap frames of 3 x size x size each */
    int size, cap;
    float mean[3], std[3], omean[3], ostd[3];
    float cb[3], cr[3]; /* RGB -> chroma in the film's matrix */
} model_gen;

static inline uint8_t to_u8(float v)
{
    v = roundf(v);
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

static fr_status model_colorize(void *ctx, const uint8_t *gray, int n, int size, uint8_t *chroma,
                                fr_err *err)
{
    model_gen *m = ctx;
    size_t px = (size_t)size * size;
    if (size != m->size || n > m->cap) {
        free(m->in), free(m->out);
        m->in = malloc(3 * px * n * sizeof(float));
        m->out = malloc(3 * px * n * sizeof(float));
        m->size = (m->in && m->out) ? size : 0;
        m->cap = m->size ? n : 0;
        if (!m->size)
            return fr_err_set(err, FR_ERR_NOMEM, "generator: out of memory for %d frames of %dx%d", n, size, size);
    }
    for (int f = 0; f < n; f++) {
        const uint8_t *g = gray + f * px;
        float *in = m->in + 3 * px * f;
        for (int c = 0; c < 3; c++)
            for (size_t p = 0; p < px; p++)
                in[c * px + p] = ((float)g[p] / 255.0f - m->mean[c]) / m->std[c];
    }
    fr_status st = fr_engine_forward(m->e, m->in, n, size, m->out, err);
    if (st != FR_OK)
        return st;
    for (int f = 0; f < n; f++) {
        const float *out = m->out + 3 * px * f;
        uint8_t *o = chroma + f * px * 2;
        for (size_t p = 0; p < px; p++) {
            float r = to_u8((out[p] * m->ostd[0] + m->omean[0]) * 255.0f);
            float gg = to_u8((out[px + p] * m->ostd[1] + m->omean[1]) * 255.0f);
            float b = to_u8((out[2 * px + p] * m->ostd[2] + m->omean[2]) * 255.0f);
            o[2 * p] = to_u8(128.0f + m->cb[0] * r + m->cb[1] * gg + m->cb[2] * b);
            o[2 * p + 1] = to_u8(128.0f + m->cr[0] * r + m->cr[1] * gg + m->cr[2] * b);
        }
    }
    return FR_OK;
}

static void model_free(void *ctx)
{
    model_gen *m = ctx;
    if (!m)
        return;
    fr_engine_free(m->e);
    free(m->in), free(m->out);
    free(m);
}

static const fr_generator_ops model_ops = {model_colorize, model_free};

fr_status fr_generator_open_model(fr_generator *g, const char *path, const fr_generator_opts *opts,
                                  fr_err *err)
{
    int threads = opts ? opts->threads : 0;
    if (threads <= 0) {
        const char *env = getenv("OMP_NUM_THREADS");
        threads = env && atoi(env) > 0 ? atoi(env) : 1;
    }
    model_gen *m = calloc(1, sizeof *m);
    if (!m)
        return fr_err_set(err, FR_ERR_NOMEM, "generator: out of memory");
    fr_model *fm = NULL;
    fr_status st = fr_model_open(&fm, path, err);
    fr_engine_opts eo = {.threads = threads, .backend = opts ? opts->backend : NULL,
                         .batch = opts ? opts->batch : 1, .size = opts ? opts->size : 0, .device = opts ? opts->device : 0,
                         .precision = opts ? opts->precision : NULL, .winograd = opts ? opts->winograd : -1};
    if (st == FR_OK && fr_model_get_info(fm)->n_classes != 3)
        st = fr_err_set(err, FR_ERR_MODEL, "%s: attribute 'n_classes' is %d; a colouriser has 3", path,
                        fr_model_get_info(fm)->n_classes);
    if (st == FR_OK)
        st = fr_engine_new(&m->e, fm, &eo, err);
    fr_model_free(fm);
    if (st != FR_OK) {
        model_free(m);
        return st;
    }
    const fr_model_info *in = fr_engine_info(m->e);
    memcpy(m->mean, in->input_mean, sizeof m->mean);
    memcpy(m->std, in->input_std, sizeof m->std);
    memcpy(m->omean, in->output_mean, sizeof m->omean);
    memcpy(m->ostd, in->output_std, sizeof m->ostd);
    fr_colour_matrix_coefs(fr_colour_matrix_of(opts ? opts->colorspace : 0), m->cb, m->cr);
    g->ops = &model_ops;
    g->ctx = m;
    snprintf(g->name, sizeof g->name, "%s", in->name);
    snprintf(g->hash, sizeof g->hash, "%s", in->sha256);
    snprintf(g->numerics, sizeof g->numerics, "%s", fr_engine_numerics(m->e));
    fr_info("generator", "model %s (%s/%s, %s, batch %d, %d threads)", in->name, in->encoder, in->decoder,
            fr_engine_numerics(m->e), fr_engine_batch(m->e), threads);
    return FR_OK;
}
