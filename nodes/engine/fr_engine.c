/* fr_engine.c: engine lifetime and the forward pass: load (emit the graph once, which
 * pulls and folds every weight), plan per input size (emit, plan the arena, let the
 * backend prepare every node), and run frames one at a time through the plan.
 *
 * Running frames one at a time is a decision, not a shortcut: oneDNN may pick another
 * kernel (and another summation order) for another minibatch size, and the project needs
 * a frame's output independent of what else is in its batch. Per-frame work at render
 * sizes is large enough that batching gains little on the CPU. */
#include "fr_engine_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fr_log.h"

/* FR_ENGINE_PROFILE=1: time per op kind, printed to stderr when the engine closes */
static const char *op_names[FR_OP_COUNT] = {"input", "conv", "maxpool", "affine", "shuffle",
                                            "attention", "copy", "output"};

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void unplan(fr_engine *e)
{
    if (e->g) {
        for (int i = 0; i < e->g->nn; i++)
            if (e->g->n[i].impl)
                e->be.ops->unprepare(e->be.ctx, &e->g->n[i]);
        fr_graph_free(e->g);
        e->g = NULL;
    }
    if (e->arena)
        e->be.ops->release(e->be.ctx, e->arena);
    e->arena = NULL;
}

static fr_status emit(fr_engine *e, int size, fr_graph **out, fr_err *err)
{
    fr_graph *g = fr_graph_new(size);
    if (!g)
        return fr_err_set(err, FR_ERR_NOMEM, "engine: out of memory");
    fr_net_unet(e, g);
    if (g->st) {
        fr_status st = g->st;
        if (err)
            *err = g->err;
        fr_graph_free(g);
        return st;
    }
    *out = g;
    return FR_OK;
}

static fr_status plan(fr_engine *e, int size, fr_err *err)
{
    unplan(e);
    if (size < fr_engine_min_size(e))
        return fr_err_set(err, FR_ERR_ARG, "engine: input side %d is below the network's minimum %d", size,
                          fr_engine_min_size(e));
    fr_graph *g;
    fr_status st = emit(e, size, &g, err);
    if (st)
        return st;
    e->g = g;
    if ((st = fr_graph_plan(g, err)))
        return st;
    e->arena = e->be.ops->alloc(e->be.ctx, g->arena_bytes);
    if (!e->arena)
        return fr_err_set(err, FR_ERR_NOMEM, "engine: out of memory for %zu MB of activations",
                          g->arena_bytes >> 20);
    fr_graph_bind(g, e->arena);
    for (int i = 0; i < g->nn; i++)
        if ((st = e->be.ops->prepare(e->be.ctx, g, &g->n[i], err)))
            return st;
    if (e->be.ops->plan_done && (st = e->be.ops->plan_done(e->be.ctx, g, err)))
        return st;
    fr_debug("engine", "planned %dx%d: %d nodes, %zu MB activations, %.1f GFLOP/frame", size, size, g->nn,
             g->arena_bytes >> 20, fr_graph_flops(g) / 1e9);
    return FR_OK;
}

fr_status fr_engine_new(fr_engine **out, fr_model *m, const fr_engine_opts *opts, fr_err *err)
{
    *out = NULL;
    fr_engine *e = calloc(1, sizeof *e);
    if (!e)
        return fr_err_set(err, FR_ERR_NOMEM, "engine: out of memory");
    e->info = *fr_model_get_info(m);
    const char *prof = getenv("FR_ENGINE_PROFILE");
    e->profile = prof && *prof && strcmp(prof, "0");
    e->threads = opts && opts->threads > 0 ? opts->threads : 1;
    const char *enc = e->info.encoder, *dec = e->info.decoder;
    fr_status st = FR_OK;
    if (strcmp(enc, "resnet34") && strcmp(enc, "resnet101") && strcmp(enc, "mobilenetv2"))
        st = fr_err_set(err, FR_ERR_MODEL, "model '%s': attribute 'encoder' = '%s' is not supported",
                        e->info.name, enc);
    else if (strcmp(dec, "deep") && strcmp(dec, "wide"))
        st = fr_err_set(err, FR_ERR_MODEL, "model '%s': attribute 'decoder' = '%s' is not supported",
                        e->info.name, dec);
    else if (!e->info.blur || !e->info.last_cross)
        st = fr_err_set(err, FR_ERR_MODEL, "model '%s': only blur = 1 and last_cross = 1 are supported",
                        e->info.name);
    if (!st)
        st = fr_backend_open(&e->be, opts ? opts->backend : NULL, e->threads, err);
    if (st) {
        free(e);
        return st;
    }
    /* the first emission loads every weight; then the file must hold nothing else */
    e->m = m;
    int size = opts && opts->size > 0 ? opts->size : e->info.render_factor * 16;
    fr_graph *g = NULL;
    st = emit(e, size, &g, err);
    if (!st)
        st = fr_model_check_all_used(m, err);
    fr_graph_free(g);
    e->m = NULL;
    if (!st)
        st = plan(e, size, err);
    if (st) {
        fr_engine_free(e);
        return st;
    }
    *out = e;
    return FR_OK;
}

void fr_engine_free(fr_engine *e)
{
    if (!e)
        return;
    if (e->profile) {
        double tot = 0;
        for (int k = 0; k < FR_OP_COUNT; k++)
            tot += e->op_seconds[k];
        for (int k = 0; k < FR_OP_COUNT; k++)
            if (e->op_seconds[k] > 0)
                fprintf(stderr, "[engine] %-10s %8.3f s %5.1f%%\n", op_names[k], e->op_seconds[k],
                        100 * e->op_seconds[k] / tot);
    }
    if (e->be.ops) {
        unplan(e);
        for (int i = 0; i < e->ncw; i++)
            e->be.ops->weights_free(e->be.ctx, e->cw[i]);
    }
    for (int i = 0; i < e->ncw; i++) {
        fr_convw *w = e->cw[i];
        free(w->w), free(w->b), free(w->post_scale), free(w->post_shift), free(w);
    }
    for (int i = 0; i < e->naf; i++)
        free(e->af[i]->scale), free(e->af[i]->shift), free(e->af[i]);
    free(e->cw);
    free(e->af);
    fr_backend_close(&e->be);
    free(e);
}

fr_status fr_engine_forward(fr_engine *e, const float *in, int n, int size, float *out, fr_err *err)
{
    if (n <= 0)
        return fr_err_set(err, FR_ERR_ARG, "engine: empty batch");
    fr_status st;
    if (!e->g || e->g->size != size) {
        if ((st = plan(e, size, err))) {
            unplan(e);
            return st;
        }
    }
    fr_graph *g = e->g;
    size_t in_frame = (size_t)g->in_c * size * size, out_frame = (size_t)g->out_c * size * size;
    for (int f = 0; f < n; f++)
        for (int i = 0; i < g->nn; i++) {
            double t0 = e->profile ? now_s() : 0;
            if ((st = e->be.ops->run(e->be.ctx, g, &g->n[i], in + f * in_frame, out + f * out_frame, err)))
                return st;
            if (e->profile)
                e->op_seconds[g->n[i].op] += now_s() - t0;
        }
    return FR_OK;
}

const fr_model_info *fr_engine_info(const fr_engine *e) { return &e->info; }
const char *fr_engine_backend_name(const fr_engine *e) { return e->be.ops->name; }
double fr_engine_flops(const fr_engine *e) { return e->g ? fr_graph_flops(e->g) : 0; }
size_t fr_engine_arena_bytes(const fr_engine *e) { return e->g ? e->g->arena_bytes : 0; }
int fr_engine_min_size(const fr_engine *e)
{
    (void)e;
    return 32;
}
