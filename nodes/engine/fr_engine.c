/* fr_engine.c: engine lifetime and the forward pass: load (emit the graph once, which
 * pulls and folds every weight), plan per input size (emit for the largest batch that
 * fits the memory cap, plan the arena, let the backend prepare every node), and run
 * batches through the plan: upload, every node in order, download, synchronize.
 *
 * A batch of k frames goes through each layer together (minibatch k in oneDNN). The
 * nodes are prepared for one frame count at a time; a batch of another count (the end of
 * a shot) re-prepares them, which oneDNN's primitive cache makes cheap. A frame's bytes
 * must not depend on k: tests/unit/test_engine_layers.c checks every op, and
 * tests/e2e/engine_isa_batch.sh the models. */
#include "fr_engine_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fr_log.h"

/* FR_ENGINE_PROFILE=1: time per op kind, printed to stderr when the engine closes (or a
 * plan is replaced); FR_ENGINE_PROFILE=2: also the 20 slowest layers of the plan */
static const char *op_names[FR_OP_COUNT] = {"input", "conv", "maxpool", "affine", "shuffle",
                                            "attention", "copy", "output"};

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void unprepare(fr_engine *e)
{
    for (int i = 0; e->g && i < e->g->nn; i++)
        if (e->g->n[i].impl)
            e->be.ops->unprepare(e->be.ctx, &e->g->n[i]);
}

/* FR_ENGINE_PROFILE=2: the slowest layers of the current plan, slowest first */
static void report_layers(fr_engine *e)
{
    fr_graph *g = e->g;
    if (!g || !e->node_seconds || e->n_node_seconds != g->nn)
        return;
    double tot = 0;
    for (int i = 0; i < g->nn; i++)
        tot += e->node_seconds[i];
    fprintf(stderr, "[engine] slowest layers at %dx%d (batch %d):\n", g->size, g->size, g->batch);
    for (int k = 0; k < 20 && tot > 0; k++) {
        int best = -1;
        for (int i = 0; i < g->nn; i++)
            if (e->node_seconds[i] >= 0 && (best < 0 || e->node_seconds[i] > e->node_seconds[best]))
                best = i;
        if (best < 0 || e->node_seconds[best] <= 0)
            break;
        const fr_node *n = &g->n[best];
        const fr_value *o = &g->v[n->out >= 0 ? n->out : n->in];
        fprintf(stderr, "[engine] %8.3f s %5.1f%%  %-9s %-28s -> %dx%dx%d\n", e->node_seconds[best],
                100 * e->node_seconds[best] / tot, op_names[n->op], n->cw ? n->cw->name : "", o->h, o->w, o->c);
        e->node_seconds[best] = -1;
    }
}

static void unplan(fr_engine *e)
{
    if (e->profile == 2)
        report_layers(e);
    free(e->node_seconds);
    e->node_seconds = NULL, e->n_node_seconds = 0;
    if (e->g) {
        unprepare(e);
        fr_graph_free(e->g);
        e->g = NULL;
    }
    void **bufs[4] = {&e->arena, &e->io_in, &e->io_out, &e->io_in2};
    for (int i = 0; i < 4; i++) {
        if (*bufs[i])
            e->be.ops->release(e->be.ctx, *bufs[i]);
        *bufs[i] = NULL;
    }
}

static fr_status emit(fr_engine *e, int size, int batch, fr_graph **out, fr_err *err)
{
    fr_graph *g = fr_graph_new(size, batch, e->be.ops->act_type);
    if (!g)
        return fr_err_set(err, FR_ERR_NOMEM, "engine: out of memory");
    fr_net_unet(e, g);
    if (g->st != FR_OK) {
        fr_status st = g->st;
        if (err)
            *err = g->err;
        fr_graph_free(g);
        return st;
    }
    *out = g;
    return FR_OK;
}

/* Prepares every node of the current plan for `frames` frames. */
static fr_status prepare(fr_engine *e, int frames, fr_err *err)
{
    fr_graph *g = e->g;
    unprepare(e);
    g->frames = frames;
    fr_status st;
    for (int i = 0; i < g->nn; i++)
        if ((st = e->be.ops->prepare(e->be.ctx, g, &g->n[i], err)) != FR_OK)
            return st;
    if (e->be.ops->plan_done && (st = e->be.ops->plan_done(e->be.ctx, g, err)) != FR_OK)
        return st;
    return FR_OK;
}

static fr_status plan(fr_engine *e, int size, fr_err *err)
{
    unplan(e);
    if (size < fr_engine_min_size(e))
        return fr_err_set(err, FR_ERR_ARG, "engine: input side %d is below the network's minimum %d", size,
                          fr_engine_min_size(e));
    /* one frame's activations decide how many frames fit under the cap */
    fr_graph *g;
    fr_status st = emit(e, size, 1, &g, err);
    if (st == FR_OK)
        st = fr_graph_plan(g, err);
    if (st != FR_OK) {
        fr_graph_free(g);
        return st;
    }
    int batch = e->want_batch;
    size_t one = g->arena_bytes ? g->arena_bytes : 1;
    if ((size_t)batch * one > e->memory_cap)
        batch = e->memory_cap / one > 0 ? (int)(e->memory_cap / one) : 1;
    if (batch != e->want_batch)
        fr_info("engine", "batch %d -> %d at %dx%d: %zu MB of activations a frame (FR_ENGINE_MEMORY_MB=%zu)",
                e->want_batch, batch, size, size, one >> 20, e->memory_cap >> 20);
    if (batch > 1) {
        fr_graph_free(g);
        if ((st = emit(e, size, batch, &g, err)) != FR_OK)
            return st;
        if ((st = fr_graph_plan(g, err)) != FR_OK) {
            fr_graph_free(g);
            return st;
        }
    }
    e->g = g;
    size_t io_in = (size_t)batch * g->in_c * size * size * sizeof(float);
    size_t io_out = (size_t)batch * g->out_c * size * size * sizeof(float);
    e->arena = e->be.ops->alloc(e->be.ctx, g->arena_bytes);
    e->io_in = e->be.ops->alloc(e->be.ctx, io_in);
    e->io_out = e->be.ops->alloc(e->be.ctx, io_out);
    e->io_in2 = e->be.ops->alloc(e->be.ctx, io_in);
    if (!e->arena || !e->io_in || !e->io_out || !e->io_in2)
        return fr_err_set(err, FR_ERR_NOMEM, "engine: out of memory for %zu MB of activations (%d frames at %dx%d; "
                          "try a smaller --batch)", (g->arena_bytes + 2 * io_in + io_out) >> 20, batch, size, size);
    fr_graph_bind(g, e->arena);
    g->io_in = e->io_in, g->io_out = e->io_out;
    if ((st = prepare(e, batch, err)) != FR_OK)
        return st;
    fr_debug("engine", "planned %dx%d x%d: %d nodes, %zu MB activations, %.1f GFLOP/frame", size, size, batch,
             g->nn, g->arena_bytes >> 20, fr_graph_flops(g) / 1e9);
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
    e->profile = prof && *prof && strcmp(prof, "0") ? (strcmp(prof, "2") ? 1 : 2) : 0;
    e->threads = opts && opts->threads > 0 ? opts->threads : 1;
    e->want_batch = opts && opts->batch > 0 ? opts->batch : 1;
    const char *cap = getenv("FR_ENGINE_MEMORY_MB");
    long mb = cap && atol(cap) > 0 ? atol(cap) : 4096;
    e->memory_cap = (size_t)mb << 20;
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
    fr_backend_opts bo = {.name = opts ? opts->backend : NULL, .threads = e->threads,
                          .device = opts ? opts->device : 0, .precision = opts ? opts->precision : NULL,
                          .winograd = opts ? opts->winograd : -1};
    if (st == FR_OK)
        st = fr_backend_open(&e->be, &bo, err);
    if (st != FR_OK) {
        free(e);
        return st;
    }
    e->be.ops->numerics(e->be.ctx, e->numerics, sizeof e->numerics);
    /* the first emission loads every weight; then the file must hold nothing else */
    e->m = m;
    int size = opts && opts->size > 0 ? opts->size : e->info.render_factor * 16;
    fr_graph *g = NULL;
    st = emit(e, size, 1, &g, err);
    if (st == FR_OK)
        st = fr_model_check_all_used(m, err);
    fr_graph_free(g);
    e->m = NULL;
    if (st == FR_OK)
        st = plan(e, size, err);
    if (st != FR_OK) {
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

/* Runs every node once over the prepared frames, timing op kinds when profiling. */
static fr_status run_nodes(fr_engine *e, fr_err *err)
{
    fr_graph *g = e->g;
    if (e->profile == 2 && !e->node_seconds) {
        e->node_seconds = calloc((size_t)g->nn, sizeof *e->node_seconds);
        e->n_node_seconds = e->node_seconds ? g->nn : 0;
    }
    for (int i = 0; i < g->nn; i++) {
        double t0 = e->profile ? now_s() : 0;
        fr_status st = e->be.ops->run(e->be.ctx, g, &g->n[i], err);
        if (st != FR_OK)
            return st;
        if (e->profile) {
            if ((st = e->be.ops->synchronize(e->be.ctx, err)) != FR_OK)
                return st;
            double dt = now_s() - t0;
            e->op_seconds[g->n[i].op] += dt;
            if (e->node_seconds)
                e->node_seconds[i] += dt;
        }
    }
    return FR_OK;
}

fr_status fr_engine_forward(fr_engine *e, const float *in, int n, int size, float *out, fr_err *err)
{
    if (n <= 0)
        return fr_err_set(err, FR_ERR_ARG, "engine: empty batch");
    fr_status st;
    if (!e->g || e->g->size != size) {
        if ((st = plan(e, size, err)) != FR_OK) {
            unplan(e);
            return st;
        }
    }
    fr_graph *g = e->g;
    size_t in_frame = (size_t)g->in_c * size * size, out_frame = (size_t)g->out_c * size * size;
    const fr_backend_ops *b = e->be.ops;
    /* Two input buffers: batch k+1 is uploaded while batch k runs (on a GPU, the copy
     * stream overlaps the compute stream; on the CPU it is a copy in turn). */
    void *io[2] = {e->io_in, e->io_in2};
    int cur = 0, k = n < g->batch ? n : g->batch;
    st = b->upload(e->be.ctx, io[0], in, k * in_frame * sizeof(float), err);
    for (int done = 0; st == FR_OK && done < n;) {
        if (k != g->frames && (st = prepare(e, k, err)) != FR_OK) {
            unplan(e);
            return st;
        }
        g->io_in = io[cur];
        int next = done + k, kn = n - next < g->batch ? n - next : g->batch;
        if ((st = run_nodes(e, err)) != FR_OK ||
            (kn > 0 && (st = b->upload(e->be.ctx, io[cur ^ 1], in + next * in_frame, kn * in_frame * sizeof(float),
                                       err)) != FR_OK) ||
            (st = b->download(e->be.ctx, out + done * out_frame, e->io_out, k * out_frame * sizeof(float), err)) != FR_OK ||
            (st = b->synchronize(e->be.ctx, err)) != FR_OK)
            break;
        done = next, k = kn, cur ^= 1;
    }
    g->io_in = e->io_in;
    return st;
}

const fr_model_info *fr_engine_info(const fr_engine *e) { return &e->info; }
const char *fr_engine_numerics(const fr_engine *e) { return e->numerics; }
int fr_engine_batch(const fr_engine *e) { return e->g ? e->g->batch : e->want_batch; }
double fr_engine_flops(const fr_engine *e) { return e->g ? fr_graph_flops(e->g) : 0; }
size_t fr_engine_arena_bytes(const fr_engine *e) { return e->g ? e->g->arena_bytes : 0; }
int fr_engine_min_size(const fr_engine *e)
{
    (void)e;
    return 32;
}
