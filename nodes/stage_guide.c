/* stage_guide.c: the guide row of the stage table: a colourist's reference frames guide
 * their shot (guide.h). A guided shot is one job, whole: the row keeps the smoothed model
 * chroma as the shot's unguided chroma (the store's, for when the references change),
 * guides from it, smooths again as the model's chroma was (with its own smooth row), and
 * puts each reference frame back as painted. The references' content is hashed per shot
 * in the store (fr_store_refs.h), so it has no canonical settings of its own. */
#include <stdlib.h>
#include <string.h>

#include "guide.h"
#include "segment.h"
#include "stage.h"

extern const fr_stage fr_stage_smooth;

static const fr_opt guide_opts[] = {
    {"references", 0, FR_OPT_STRING, offsetof(fr_stage_settings, references), NULL, 0, 0,
     "colour reference frames: a folder of pictures named by frame (000123.png) or timecode "
     "(00-00-05-04.png), or a CSV index (FRAME,FILE); each guides its shot"},
};

typedef struct {
    fr_guide *guide;
    void *smooth;     /* an instance of the smooth row */
    uint8_t *work;    /* the guided chroma before smoothing */
    size_t cap;       /* frames it holds */
    int size;
} guide;

static int enabled(const fr_stage_settings *s) { return s->references != NULL; }

static int context(const fr_stage_settings *s)
{
    (void)s;
    return FR_STAGE_WHOLE_SHOT;
}

static void close_guide(void *ctx)
{
    guide *g = ctx;
    if (!g)
        return;
    fr_guide_free(g->guide);
    if (g->smooth)
        fr_stage_smooth.close(g->smooth);
    free(g->work);
    free(g);
}

static fr_status open_guide(void **ctx, const fr_stage *self, const fr_stage_env *env, fr_err *err)
{
    (void)self;
    guide *g = calloc(1, sizeof *g);
    if (!g)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    g->size = env->cfg->size;
    fr_status st = fr_guide_new(&g->guide, g->size, env->cfg->threads, err);
    if (st == FR_OK)
        st = fr_stage_smooth.open(&g->smooth, &fr_stage_smooth, env, err);
    if (st != FR_OK) {
        close_guide(g);
        return st;
    }
    *ctx = g;
    return FR_OK;
}

static fr_status run(void *ctx, fr_stage_frames *f, fr_err *err)
{
    guide *g = ctx;
    const fr_segment_job *j = f->job;
    size_t frame = (size_t)g->size * g->size * 2, n = (size_t)f->n;
    if (f->out_first != 0 || f->out_count != f->n)
        return fr_err_set(err, FR_ERR_INTERNAL, "guide: a guided shot is one job, whole");
    if (n > g->cap) {
        uint8_t *w = realloc(g->work, frame * n);
        if (!w)
            return fr_err_set(err, FR_ERR_NOMEM, "out of memory for a guided shot of %zu frames", n);
        g->work = w;
        g->cap = n;
    }
    memcpy(f->unguided, f->chroma, frame * n);
    fr_status st = fr_guide_shot(g->guide, f->gray, f->unguided, f->n, j->at, j->ref, j->nref, g->work, err);
    if (st != FR_OK)
        return st;
    /* smoothed again from the guided chroma, as the smooth row did from the model's */
    fr_stage_frames again = *f;
    again.raw = g->work;
    if ((st = fr_stage_smooth.run(g->smooth, &again, err)) != FR_OK)
        return st;
    for (int k = 0; k < j->nref; k++)
        memcpy(f->chroma + frame * (size_t)j->at[k], j->ref + frame * (size_t)k, frame);
    return FR_OK;
}

const fr_stage fr_stage_guide = {
    .name = "guide",
    .title = "reference frames",
    .opts = guide_opts,
    .n_opts = sizeof guide_opts / sizeof guide_opts[0],
    .flags = FR_STAGE_NEEDS_GRAY | FR_STAGE_REFERENCES,
    .datasets = "/references (each guided shot's guided chroma and hash)",
    .enabled = enabled,
    .context = context,
    .open = open_guide,
    .run = run,
    .close = close_guide,
};
