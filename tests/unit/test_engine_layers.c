/* test_engine_layers.c: every engine op on every backend this build has and this
 * machine can run (fr_backend_usable) against a naive double precision reference written
 * here, plus the engine's determinism (1 vs 2 threads; a frame alone or inside a batch
 * gives the same bytes) and arena reuse. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_ref.h"
#include "fr_backend.h"
#include "fr_graph.h"

/* every usable backend, NULL-terminated */
static const char **usable(void)
{
    static const char *names[9];
    int n = fr_backend_usable(names, 8);
    names[n] = NULL;
    return names;
}
#define EACH_BACKEND(name) for (const char **name##_ = usable(), *name; (name = *name##_) != NULL; name##_++)

static size_t out_floats(const fr_graph *g)
{
    for (int i = 0; i < g->nn; i++)
        if (g->n[i].op == FR_OP_OUTPUT) {
            const fr_value *v = &g->v[g->n[i].in];
            return (size_t)v->h * v->w * v->c;
        }
    return 0;
}

/* Plans g for `frames` frames on be, runs them (in: frames NCHW frames; out likewise)
 * through the backend's upload, run, download and synchronize, and unprepares. */
static void run_frames(fr_backend *be, fr_graph *g, int frames, const float *in, float *out)
{
    fr_err err = {0};
    g->batch = g->frames = frames;
    cr_assert_eq(fr_graph_plan(g, &err), FR_OK, "%s", err.msg);
    size_t nin = (size_t)frames * g->in_c * g->size * g->size * sizeof(float);
    size_t nout = (size_t)frames * out_floats(g) * sizeof(float);
    void *arena = be->ops->alloc(be->ctx, g->arena_bytes);
    g->io_in = be->ops->alloc(be->ctx, nin), g->io_out = be->ops->alloc(be->ctx, nout);
    cr_assert(arena && g->io_in && g->io_out);
    fr_graph_bind(g, arena);
    for (int i = 0; i < g->nn; i++)
        cr_assert_eq(be->ops->prepare(be->ctx, g, &g->n[i], &err), FR_OK, "%s", err.msg);
    if (be->ops->plan_done)
        cr_assert_eq(be->ops->plan_done(be->ctx, g, &err), FR_OK, "%s", err.msg);
    cr_assert_eq(be->ops->upload(be->ctx, g->io_in, in, nin, &err), FR_OK, "%s", err.msg);
    for (int i = 0; i < g->nn; i++)
        cr_assert_eq(be->ops->run(be->ctx, g, &g->n[i], &err), FR_OK, "%s", err.msg);
    cr_assert_eq(be->ops->download(be->ctx, out, g->io_out, nout, &err), FR_OK, "%s", err.msg);
    cr_assert_eq(be->ops->synchronize(be->ctx, &err), FR_OK, "%s", err.msg);
    for (int i = 0; i < g->nn; i++)
        if (g->n[i].impl)
            be->ops->unprepare(be->ctx, &g->n[i]);
    be->ops->release(be->ctx, arena);
    be->ops->release(be->ctx, g->io_in), be->ops->release(be->ctx, g->io_out);
    g->io_in = g->io_out = NULL;
}

/* Runs graph g on backend `name` with `threads`: one frame into out, then the same frame
 * in the middle of a batch of three, which must give the same bytes. */
static void run_graph(const char *name, int threads, fr_graph *g, const float *in, float *out, fr_backend *keep)
{
    fr_err err = {0};
    fr_backend be;
    fr_backend_opts o = {.name = name, .threads = threads, .winograd = -1};
    cr_assert_eq(fr_backend_open(&be, &o, &err), FR_OK, "%s", err.msg);
    run_frames(&be, g, 1, in, out);
    size_t nin = (size_t)g->in_c * g->size * g->size, nout = out_floats(g);
    float *in3 = malloc(3 * nin * sizeof *in3), *out3 = malloc(3 * nout * sizeof *out3);
    unsigned seed = 123;
    for (size_t i = 0; i < 3 * nin; i++)
        in3[i] = frand(&seed);
    memcpy(in3 + nin, in, nin * sizeof *in);
    run_frames(&be, g, 3, in3, out3);
    cr_expect(memcmp(out3 + nout, out, nout * sizeof *out) == 0, "%s: a frame inside a batch of 3 gives other bytes",
              name);
    free(in3), free(out3);
    g->batch = g->frames = 1;
    *keep = be; /* closed by the caller after freeing weights */
}

static void check_conv(int ic, int oc, int k, int groups, int h, int w, int stride, const int pad[4], fr_act act,
                       int post, int acc_mode)
{
    EACH_BACKEND(name) {
        fr_graph *g = fr_graph_new(h, 1, FR_F32);
        cr_assert_eq(h, w);
        tconv t = make_conv(oc, ic, k, groups, 1, post, 11u + (unsigned)oc);
        int x = fr_g_input(g, ic);
        int oh = (h + pad[0] + pad[2] - k) / stride + 1, ow = (w + pad[1] + pad[3] - k) / stride + 1;
        float *in = rnd((size_t)ic * h * w, 5), *accin = rnd((size_t)oc * oh * ow, 6);
        int acc = -1;
        tconv id = {0};
        if (acc_mode) { /* residual = a 1x1 conv of the input, so it has its own producer */
            id = make_conv(oc, ic, 1, 1, 0, 0, 99);
            int zp[4] = {0, 0, 0, 0};
            acc = fr_g_conv(g, x, id.cw, stride, zp, FR_ACT_NONE, -1, 0);
            cr_assert(g->v[acc].h == oh && g->v[acc].w == ow);
        }
        int y = fr_g_conv(g, x, t.cw, stride, pad, act, acc, acc_mode == 2);
        fr_g_output(g, y);
        cr_assert_eq(g->st, FR_OK, "%s", g->err.msg);
        float *out = calloc((size_t)oc * oh * ow, sizeof *out);
        double *ref = calloc((size_t)oc * oh * ow, sizeof *ref), *accref = NULL;
        if (acc_mode) {
            int zp[4] = {0, 0, 0, 0}, a, c;
            accref = calloc((size_t)oc * oh * ow, sizeof *accref);
            conv_ref(&id, in, h, w, stride, zp, FR_ACT_NONE, NULL, 0, accref, &a, &c);
        }
        int rh, rw;
        conv_ref(&t, in, h, w, stride, pad, act, accref, acc_mode == 2, ref, &rh, &rw);
        fr_backend be;
        run_graph(name, 1, g, in, out, &be);
        expect_close(out, ref, (size_t)oc * oh * ow, getenv("FR_ENGINE_WINOGRAD") ? 2e-5 : 2e-6, name);
        free_conv(&t, &be);
        if (acc_mode)
            free_conv(&id, &be);
        fr_backend_close(&be);
        fr_graph_free(g);
        free(in), free(accin), free(out), free(ref), free(accref);
    }
}

Test(engine_layers, conv_same_bias_relu)
{
    int p[4] = {1, 1, 1, 1};
    check_conv(5, 7, 3, 1, 9, 9, 1, p, FR_ACT_RELU, 0, 0);
}

Test(engine_layers, conv_7x7_stride2)
{
    int p[4] = {3, 3, 3, 3};
    check_conv(3, 16, 7, 1, 17, 17, 2, p, FR_ACT_RELU, 0, 0);
}

Test(engine_layers, depthwise_keras_stride2_relu6)
{
    int p[4] = {0, 0, 1, 1}; /* top, left, bottom, right */
    check_conv(8, 8, 3, 8, 10, 10, 2, p, FR_ACT_RELU6, 0, 0);
    check_conv(8, 8, 3, 8, 9, 9, 2, p, FR_ACT_RELU6, 0, 0);
}

Test(engine_layers, conv_relu_then_batchnorm_postop)
{
    int p[4] = {1, 1, 1, 1};
    check_conv(6, 10, 3, 1, 8, 8, 1, p, FR_ACT_RELU, 1, 0);
}

Test(engine_layers, conv_residual_after_activation)
{
    int p[4] = {1, 1, 1, 1};
    check_conv(6, 6, 3, 1, 8, 8, 1, p, FR_ACT_RELU, 0, 1);
}

Test(engine_layers, conv_residual_before_activation)
{
    int p[4] = {0, 0, 0, 0};
    check_conv(12, 6, 1, 1, 8, 8, 2, p, FR_ACT_RELU, 0, 2);
}

Test(engine_layers, sigmoid_range)
{
    EACH_BACKEND(name) {
        fr_graph *g = fr_graph_new(6, 1, FR_F32);
        tconv t = make_conv(3, 4, 1, 1, 1, 0, 3);
        int zp[4] = {0, 0, 0, 0};
        int y = fr_g_conv(g, fr_g_input(g, 4), t.cw, 1, zp, FR_ACT_SIGMOID_RANGE, -1, 0);
        g->n[g->nn - 1].act_lo = -3, g->n[g->nn - 1].act_hi = 3;
        fr_g_output(g, y);
        float *in = rnd(4 * 36, 8), out[3 * 36];
        double ref[3 * 36];
        int oh, ow;
        conv_ref(&t, in, 6, 6, 1, zp, FR_ACT_NONE, NULL, 0, ref, &oh, &ow);
        for (int i = 0; i < 3 * 36; i++)
            ref[i] = 6.0 / (1.0 + exp(-ref[i])) - 3.0;
        fr_backend be;
        run_graph(name, 2, g, in, out, &be);
        expect_close(out, ref, 3 * 36, 2e-6, "sigmoid range");
        free_conv(&t, &be);
        fr_backend_close(&be);
        fr_graph_free(g);
        free(in);
    }
}

/* pixel shuffle (input in the engine's sub-pixel-major channel order) + blur + nearest
 * resize into the left of a concatenation, an affine (BN + ReLU) into its right */
Test(engine_layers, shuffle_blur_resize_into_concat)
{
    EACH_BACKEND(name) {
        int H = 3, W = 3, C = 5, OH = 5, OW = 5, SC = 2;
        fr_graph *g = fr_graph_new(W, 1, FR_F32);
        int x = fr_g_input(g, 4 * C);
        int cat = fr_g_value(g, OH, OW, C + SC);
        fr_g_shuffle(g, x, fr_g_slice(g, cat, 0, C));
        fr_affine af = {.name = "bn", .c = SC};
        float sc[2] = {1.5f, -0.5f}, sh[2] = {0.25f, 0.1f};
        af.scale = sc, af.shift = sh;
        /* the skip half: the shuffle's own first SC channels, copied out, then BN + ReLU */
        int tmp = fr_g_value(g, OH, OW, SC);
        fr_g_copy(g, fr_g_slice(g, cat, 0, SC), tmp);
        fr_g_affine(g, tmp, &af, FR_ACT_RELU, fr_g_slice(g, cat, C, SC));
        fr_g_output(g, cat);
        cr_assert_eq(g->st, FR_OK, "%s", g->err.msg);
        float *in = rnd((size_t)4 * C * H * W, 21), out[(5 + 2) * 25];
        /* reference: shuffle to 6x6, blur with clamped top/left, nearest 6 -> 5 */
        double ref[7 * 25];
        shuffle_ref(in, H, W, C, OH, OW, ref);
        for (int c = 0; c < SC; c++)
            for (int p = 0; p < OH * OW; p++) {
                double v = ref[c * 25 + p] * sc[c] + sh[c];
                ref[(C + c) * 25 + p] = v > 0 ? v : 0;
            }
        fr_backend be;
        run_graph(name, 2, g, in, out, &be);
        expect_close(out, ref, 7 * 25, 1e-6, "shuffle/blur/resize/affine");
        fr_backend_close(&be);
        fr_graph_free(g);
        free(in);
    }
}

Test(engine_layers, maxpool)
{
    EACH_BACKEND(name) {
        int H = 7, C = 3;
        fr_graph *g = fr_graph_new(H, 1, FR_F32);
        int y = fr_g_maxpool(g, fr_g_input(g, C));
        fr_g_output(g, y);
        float *in = rnd((size_t)C * H * H, 4), out[3 * 16];
        double ref[3 * 16];
        maxpool_ref(in, H, H, C, ref);
        fr_backend be;
        run_graph(name, 1, g, in, out, &be);
        expect_close(out, ref, 3 * 16, 0, "maxpool");
        fr_backend_close(&be);
        fr_graph_free(g);
        free(in);
    }
}

Test(engine_layers, self_attention)
{
    EACH_BACKEND(name) {
        int C = 16, QK = 2, H = 5, W = 5, N = H * W;
        fr_graph *g = fr_graph_new(H, 1, FR_F32);
        tconv pre = make_conv(C, C, 1, 1, 0, 0, 31); /* makes the attention input a dense value */
        tconv qkv = make_conv(2 * QK + C, C, 1, 1, 0, 0, 32);
        qkv.cw->qk = QK, qkv.cw->gamma = 0.7f;
        int zp[4] = {0, 0, 0, 0};
        int x = fr_g_conv(g, fr_g_input(g, C), pre.cw, 1, zp, FR_ACT_NONE, -1, 0);
        int y = fr_g_attention(g, x, qkv.cw);
        fr_g_output(g, y);
        cr_assert_eq(g->st, FR_OK, "%s", g->err.msg);
        float *in = rnd((size_t)C * N, 33), out[16 * 25];
        double xr[16 * 25], ref[16 * 25], proj[20 * 25];
        int oh, ow;
        conv_ref(&pre, in, H, W, 1, zp, FR_ACT_NONE, NULL, 0, xr, &oh, &ow);
        float xf[16 * 25];
        for (int i = 0; i < C * N; i++)
            xf[i] = (float)xr[i];
        conv_ref(&qkv, xf, H, W, 1, zp, FR_ACT_NONE, NULL, 0, proj, &oh, &ow);
        attention_ref(proj, xr, N, C, QK, 0.7, ref);
        fr_backend be;
        run_graph(name, 2, g, in, out, &be);
        expect_close(out, ref, (size_t)C * N, 2e-6, "self-attention");
        free_conv(&pre, &be), free_conv(&qkv, &be);
        fr_backend_close(&be);
        fr_graph_free(g);
        free(in);
    }
}

/* A small U-Net-like stack, for determinism and arena tests. */
static fr_graph *stack(int size, tconv *t, int nt)
{
    fr_graph *g = fr_graph_new(size, 1, FR_F32);
    int x = fr_g_input(g, 8);
    x = fr_g_conv_same(g, x, t[0].cw, 1, FR_ACT_RELU, -1);          /* 8 -> 64 */
    for (int i = 1; i < nt - 2; i++)
        x = fr_g_conv_same(g, x, t[i].cw, 1, FR_ACT_RELU, -1);      /* 64 -> 64 */
    x = fr_g_attention(g, x, t[nt - 2].cw);
    x = fr_g_conv_same(g, x, t[nt - 1].cw, 1, FR_ACT_RELU, -1);     /* 64 -> 16 */
    int cat = fr_g_value(g, 2 * size, 2 * size, 4);
    fr_g_shuffle(g, x, cat);
    fr_g_output(g, cat);
    return g;
}

static void make_stack(tconv *t, int nt)
{
    t[0] = make_conv(64, 8, 3, 1, 1, 1, 40);
    for (int i = 1; i < nt - 2; i++)
        t[i] = make_conv(64, 64, 3, 1, 0, 1, 40 + i);
    t[nt - 2] = make_conv(2 * 8 + 64, 64, 1, 1, 0, 0, 70);
    t[nt - 2].cw->qk = 8, t[nt - 2].cw->gamma = 0.5f;
    t[nt - 1] = make_conv(16, 64, 3, 1, 1, 0, 71);
}

Test(engine_layers, deterministic_across_thread_counts)
{
    EACH_BACKEND(name) {
        enum { S = 48, NT = 6 };
        float *in = rnd((size_t)8 * S * S, 9);
        float *out[2];
        for (int th = 1; th <= 2; th++) {
            tconv t[NT];
            make_stack(t, NT);
            fr_graph *g = stack(S, t, NT);
            cr_assert_eq(g->st, FR_OK, "%s", g->err.msg);
            out[th - 1] = calloc((size_t)4 * 4 * S * S, sizeof(float));
            fr_backend be;
            run_graph(name, th, g, in, out[th - 1], &be);
            for (int i = 0; i < NT; i++)
                free_conv(&t[i], &be);
            fr_backend_close(&be);
            fr_graph_free(g);
        }
        cr_assert(memcmp(out[0], out[1], sizeof(float) * 16 * S * S) == 0,
                  "1 and 2 threads give different bytes");
        double s = 0;
        for (int i = 0; i < 16 * S * S; i++)
            s += fabs(out[0][i]);
        cr_assert(s > 0, "output is all zero: the comparison would prove nothing");
        free(out[0]), free(out[1]), free(in);
    }
}

Test(engine_layers, arena_reuses_dead_buffers)
{
    enum { S = 16, NT = 8 };
    tconv t[NT];
    make_stack(t, NT);
    fr_graph *g = stack(S, t, NT);
    fr_err err;
    cr_assert_eq(fr_graph_plan(g, &err), FR_OK, "%s", err.msg);
    size_t sum = 0;
    for (int v = 0; v < g->nv; v++)
        if (g->v[v].root == v)
            sum += g->v[v].bytes;
    cr_assert(g->arena_bytes * 2 < sum, "arena %zu bytes for %zu bytes of values: no reuse", g->arena_bytes, sum);
    /* live values never overlap */
    for (int a = 0; a < g->nv; a++)
        for (int b = a + 1; b < g->nv; b++) {
            fr_value *x = &g->v[a], *y = &g->v[b];
            if (x->root != a || y->root != b || x->first < 0 || y->first < 0)
                continue;
            int live = x->first <= y->last && y->first <= x->last;
            int mem = x->offset < y->offset + y->bytes && y->offset < x->offset + x->bytes;
            cr_assert(!(live && mem), "values %d and %d overlap while both live", a, b);
        }
    /* frames through the same buffers: the first and third (equal inputs) give equal bytes */
    size_t nin = (size_t)8 * S * S, nout = (size_t)16 * S * S;
    float *in = rnd(nin, 3), *other = rnd(nin, 77), *seq = malloc(3 * nin * sizeof *seq);
    float *o = calloc(3 * nout, sizeof *o);
    memcpy(seq, in, nin * sizeof *in), memcpy(seq + nin, other, nin * sizeof *in);
    memcpy(seq + 2 * nin, in, nin * sizeof *in);
    fr_backend be;
    fr_backend_opts bo = {.name = "cpu", .threads = 2, .winograd = -1};
    cr_assert_eq(fr_backend_open(&be, &bo, &err), FR_OK);
    run_frames(&be, g, 3, seq, o);
    cr_assert(memcmp(o, o + 2 * nout, sizeof(float) * nout) == 0, "a frame's output depends on its neighbours");
    cr_assert(memcmp(o, o + nout, sizeof(float) * nout) != 0, "different frames gave equal bytes");
    for (int i = 0; i < NT; i++)
        free_conv(&t[i], &be);
    fr_backend_close(&be);
    fr_graph_free(g);
    free(in), free(other), free(seq), free(o);
}

Test(engine_layers, graph_rejects_channel_mismatch)
{
    fr_graph *g = fr_graph_new(8, 1, FR_F32);
    tconv t = make_conv(4, 5, 3, 1, 0, 0, 1);
    int y = fr_g_conv_same(g, fr_g_input(g, 3), t.cw, 1, FR_ACT_RELU, -1);
    cr_assert_eq(y, -1);
    cr_assert_eq(g->st, FR_ERR_MODEL);
    cr_assert(strstr(g->err.msg, "test1.weight") && strstr(g->err.msg, "5 channels"), "%s", g->err.msg);
    free_conv(&t, NULL);
    fr_graph_free(g);
}

Test(engine_layers, backend_registry)
{
    fr_backend be;
    fr_err err = {0};
    fr_backend_opts o = {.name = "cuda", .threads = 1};
    const char *have[4];
    int nhave = fr_backend_usable(have, 4);
    if (strcmp(have[0], "cuda")) { /* no usable GPU: one line, never a fallback */
        cr_assert_eq(fr_backend_open(&be, &o, &err), FR_ERR_BACKEND);
        cr_assert(strstr(err.msg, fr_backend_cuda_built() ? "no usable GPU" : "not built"), "%s", err.msg);
        cr_assert(!strchr(err.msg, '\n'), "one line: %s", err.msg);
    }
    cr_assert_geq(nhave, 1);
    o.name = "tpu";
    cr_assert_eq(fr_backend_open(&be, &o, &err), FR_ERR_ARG);
    o.name = "cpu", o.precision = "fp16";
    cr_assert_eq(fr_backend_open(&be, &o, &err), FR_ERR_ARG);
    cr_assert(strstr(err.msg, "fp32 or bf16"), "%s", err.msg);
    o.precision = "bf16";
    if (!fr_backend_cpu_has_bf16()) { /* refused in one line, naming the ISA */
        cr_assert_eq(fr_backend_open(&be, &o, &err), FR_ERR_ARG);
        cr_assert(strstr(err.msg, fr_backend_cpu_isa()) && strstr(err.msg, "avx512_core_bf16"), "%s", err.msg);
    } else {
        cr_assert_eq(fr_backend_open(&be, &o, &err), FR_OK, "%s", err.msg);
        char num[64];
        be.ops->numerics(be.ctx, num, sizeof num);
        char want[64];
        snprintf(want, sizeof want, "cpu bf16 direct %s", fr_backend_cpu_isa());
        cr_assert_str_eq(num, want);
        fr_backend_close(&be);
    }
    o.name = NULL, o.precision = NULL, o.winograd = 1; /* auto: the best usable, the cpu without a GPU */
    cr_assert_eq(fr_backend_open(&be, &o, &err), FR_OK, "%s", err.msg);
    cr_assert_str_eq(be.ops->name, have[0]);
    fr_backend_close(&be);
    o.name = "auto";
    cr_assert_eq(fr_backend_open(&be, &o, &err), FR_OK, "%s", err.msg);
    cr_assert_str_eq(be.ops->name, have[0]);
    fr_backend_close(&be);
    o.name = "cpu";
    cr_assert_eq(fr_backend_open(&be, &o, &err), FR_OK, "%s", err.msg);
    char num[64], want[64];
    be.ops->numerics(be.ctx, num, sizeof num);
    snprintf(want, sizeof want, "cpu fp32 winograd %s", fr_backend_cpu_isa());
    cr_assert_str_eq(num, want);
    fr_backend_close(&be);
    const char *names[4];
    cr_assert_geq(fr_backend_usable(names, 4), 1);
    cr_assert_str_eq(names[fr_backend_usable(names, 4) - 1], "cpu", "the CPU is the last fallback");
    setenv("OMPI_COMM_WORLD_LOCAL_RANK", "3", 1);
    cr_assert_eq(fr_backend_local_rank(), 3);
    setenv("OMPI_COMM_WORLD_LOCAL_RANK", "x", 1);
    setenv("SLURM_LOCALID", "2", 1);
    cr_assert_eq(fr_backend_local_rank(), 2, "a malformed variable falls through to the next");
    unsetenv("OMPI_COMM_WORLD_LOCAL_RANK"), unsetenv("SLURM_LOCALID");
}

/* The opt-in Winograd path (FR_ENGINE_WINOGRAD=1): blocked staging and our epilogue
 * (activation, BN after ReLU, residual) against the naive reference. */
Test(engine_layers, winograd_conv_epilogue)
{
    setenv("FR_ENGINE_WINOGRAD", "1", 1);
    int p[4] = {1, 1, 1, 1};
    check_conv(64, 64, 3, 1, 40, 40, 1, p, FR_ACT_RELU, 1, 0);
    check_conv(64, 80, 3, 1, 36, 36, 1, p, FR_ACT_RELU, 0, 1);
    unsetenv("FR_ENGINE_WINOGRAD");
}

/* A second plan (another input size) reuses the backend's stored weights: bias and
 * post-ops must survive the host copies being freed by the first plan. */
Test(engine_layers, replan_keeps_bias_and_postops)
{
    EACH_BACKEND(name) {
        tconv t = make_conv(16, 8, 3, 1, 1, 1, 55);
        fr_backend be;
        fr_err err = {0};
        fr_backend_opts bo = {.name = name, .threads = 2, .winograd = -1};
        cr_assert_eq(fr_backend_open(&be, &bo, &err), FR_OK);
        for (int size = 12; size >= 8; size -= 4) {
            fr_graph *g = fr_graph_new(size, 1, FR_F32);
            int y = fr_g_conv_same(g, fr_g_input(g, 8), t.cw, 1, FR_ACT_RELU, -1);
            fr_g_output(g, y);
            float *in = rnd((size_t)8 * size * size, 56), *out = calloc((size_t)16 * size * size, 4);
            double *ref = calloc((size_t)16 * size * size, sizeof *ref);
            run_frames(&be, g, 1, in, out);
            int p[4] = {1, 1, 1, 1}, oh, ow;
            conv_ref(&t, in, size, size, 1, p, FR_ACT_RELU, NULL, 0, ref, &oh, &ow);
            expect_close(out, ref, (size_t)16 * size * size, 2e-6, size == 12 ? "first plan" : "second plan");
            cr_assert_null(t.cw->b, "the first plan should have released the host bias");
            fr_graph_free(g);
            free(in), free(out), free(ref);
        }
        free_conv(&t, &be);
        fr_backend_close(&be);
    }
}

/* Under AVX2 (set before oneDNN starts: Criterion runs each test in its own process), the
 * forms that keep every layer off reference kernels: a ReLU-then-residual tail (which
 * oneDNN 2.6's AVX2 kernel refuses fused) split after the conv, and 3x3 convs of 64+
 * channels in the blocked layout, each tail order against the naive reference, strict. */
Test(engine_layers, avx2_split_and_blocked_tails)
{
    setenv("ONEDNN_MAX_CPU_ISA", "AVX2", 1);
    setenv("FR_ENGINE_STRICT", "1", 1);
    cr_assert_str_eq(fr_backend_cpu_isa(), "avx2", "ONEDNN_MAX_CPU_ISA=AVX2 was not taken");
    int p[4] = {1, 1, 1, 1};
    check_conv(35, 35, 3, 1, 24, 24, 1, p, FR_ACT_RELU, 0, 1);  /* split sum */
    check_conv(64, 72, 3, 1, 20, 20, 1, p, FR_ACT_RELU, 1, 1);  /* blocked: ReLU, BN, residual */
    check_conv(64, 64, 3, 1, 18, 18, 1, p, FR_ACT_RELU, 0, 2);  /* blocked: residual first */
    check_conv(80, 64, 3, 1, 16, 16, 2, p, FR_ACT_RELU6, 0, 0); /* blocked, stride 2 */
}
