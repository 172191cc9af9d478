/* stage_colorize.c: the colorize row of the stage table: the generator (fr_generator.h) on
 * the window's render-size gray, in --batch pieces from the window's start. The model is the
 * node's, opened once (node.c); its name and hash are the store's identity already. */
#include <stdlib.h>

#include "fr_generator.h"
#include "stage.h"

typedef struct {
    fr_generator *gen;
    int batch, size;
} colorize;

static int enabled(const fr_stage_settings *s)
{
    (void)s;
    return 1;
}

static fr_status open_colorize(void **ctx, const fr_stage *self, const fr_stage_env *env, fr_err *err)
{
    (void)self;
    colorize *c = calloc(1, sizeof *c);
    if (!c)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    c->gen = env->gen;
    c->batch = env->cfg->batch > 0 ? env->cfg->batch : 1;
    c->size = env->cfg->size;
    *ctx = c;
    return FR_OK;
}

static fr_status run(void *ctx, fr_stage_frames *f, fr_err *err)
{
    colorize *c = ctx;
    size_t plane = (size_t)c->size * c->size;
    for (int i = 0; i < f->n; i += c->batch) {
        int k = f->n - i < c->batch ? f->n - i : c->batch;
        fr_status st = fr_generator_colorize(c->gen, f->gray + plane * (size_t)i, k, c->size,
                                             f->raw + plane * 2 * (size_t)i, err);
        if (st != FR_OK)
            return st;
    }
    return FR_OK;
}

static void close_colorize(void *ctx) { free(ctx); }

const fr_stage fr_stage_colorize = {
    .name = "colorize",
    .flags = FR_STAGE_NEEDS_GRAY | FR_STAGE_MAKES_CHROMA,
    .datasets = "/chroma_raw (when smoothing is off)",
    .enabled = enabled,
    .open = open_colorize,
    .run = run,
    .close = close_colorize,
};
