/* engine_ref.h: the engine tests' deterministic data and naive double-precision
 * references (convolution with every tail, pixel shuffle + blur + resize, max pool,
 * self-attention), shared by test_engine_layers.c (every backend's ops) and
 * test_cuda_math.c (the CUDA kernels' arithmetic run on the host). Static functions:
 * each test file gets its own copy. */
#ifndef FR_TEST_ENGINE_REF_H
#define FR_TEST_ENGINE_REF_H

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_backend.h"
#include "fr_graph.h"

/* ---- deterministic test data */
static float frand(unsigned *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (float)((*s >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static float *rnd(size_t n, unsigned seed)
{
    float *p = malloc(n * sizeof *p);
    for (size_t i = 0; i < n; i++)
        p[i] = frand(&seed);
    return p;
}

static float *dup(const float *p, size_t n)
{
    if (!p)
        return NULL;
    float *q = malloc(n * sizeof *q);
    memcpy(q, p, n * sizeof *q);
    return q;
}

/* A conv's weights, plus a copy the reference keeps (the backend frees the original). */
typedef struct {
    fr_convw *cw;
    float *w, *b, *ps, *pt;
    int oc, ic, k, groups;
} tconv;

static tconv make_conv(int oc, int ic, int k, int groups, int bias, int post, unsigned seed)
{
    tconv t = {.oc = oc, .ic = ic, .k = k, .groups = groups};
    size_t nw = (size_t)oc * (ic / groups) * k * k;
    t.cw = calloc(1, sizeof *t.cw);
    snprintf(t.cw->name, sizeof t.cw->name, "test%u", seed);
    t.cw->oc = oc, t.cw->ic = ic, t.cw->kh = t.cw->kw = k, t.cw->groups = groups;
    t.cw->w = rnd(nw, seed);
    for (size_t i = 0; i < nw; i++)
        t.cw->w[i] *= 0.5f;
    t.w = dup(t.cw->w, nw);
    if (bias)
        t.cw->b = rnd(oc, seed + 1), t.b = dup(t.cw->b, oc);
    if (post) {
        t.cw->post_scale = rnd(oc, seed + 2), t.cw->post_shift = rnd(oc, seed + 3);
        t.ps = dup(t.cw->post_scale, oc), t.pt = dup(t.cw->post_shift, oc);
    }
    return t;
}

static void free_conv(tconv *t, fr_backend *be)
{
    if (be && be->ops)
        be->ops->weights_free(be->ctx, t->cw);
    free(t->cw->w), free(t->cw->b), free(t->cw->post_scale), free(t->cw->post_shift), free(t->cw);
    free(t->w), free(t->b), free(t->ps), free(t->pt);
}

static double act_ref(double x, fr_act a)
{
    if (a == FR_ACT_RELU)
        return x > 0 ? x : 0;
    if (a == FR_ACT_RELU6)
        return x < 0 ? 0 : x > 6 ? 6 : x;
    return x;
}

/* conv on NCHW doubles; acc (same shape as out) added before or after the activation */
static void conv_ref(const tconv *t, const float *in, int h, int w, int stride, const int pad[4], fr_act act,
                     const double *acc, int acc_first, double *out, int *oh_, int *ow_)
{
    int oh = (h + pad[0] + pad[2] - t->k) / stride + 1, ow = (w + pad[1] + pad[3] - t->k) / stride + 1;
    int icg = t->ic / t->groups, ocg = t->oc / t->groups;
    for (int o = 0; o < t->oc; o++)
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++) {
                double s = t->b ? t->b[o] : 0;
                int g = o / ocg;
                for (int i = 0; i < icg; i++)
                    for (int ky = 0; ky < t->k; ky++)
                        for (int kx = 0; kx < t->k; kx++) {
                            int yy = y * stride - pad[0] + ky, xx = x * stride - pad[1] + kx;
                            if (yy < 0 || yy >= h || xx < 0 || xx >= w)
                                continue;
                            s += (double)t->w[((o * icg + i) * t->k + ky) * t->k + kx] *
                                 in[((size_t)(g * icg + i) * h + yy) * w + xx];
                        }
                size_t idx = ((size_t)o * oh + y) * ow + x;
                if (acc && acc_first)
                    s += acc[idx];
                s = act_ref(s, act);
                if (t->ps)
                    s = s * t->ps[o] + t->pt[o];
                if (acc && !acc_first)
                    s += acc[idx];
                out[idx] = s;
            }
    *oh_ = oh, *ow_ = ow;
}

static void expect_close(const float *got, const double *want, size_t n, double tol, const char *what)
{
    double num = 0, den = 0, worst = 0;
    for (size_t i = 0; i < n; i++) {
        double d = got[i] - want[i];
        num += d * d, den += want[i] * want[i];
        worst = fabs(d) > worst ? fabs(d) : worst;
    }
    double rel = sqrt(num / (den > 0 ? den : 1));
    cr_expect(rel <= tol, "%s: relative error %.3g > %.1g (max abs %.3g)", what, rel, tol, worst);
}

/* pixel shuffle x2 of NCHW `in` (4C channels, sub-pixel major: channel (2i + j) C + c),
 * blur (replication pad top/left, 2x2 mean), nearest resize 2H x 2W -> OH x OW; ref NCHW */
static void shuffle_ref(const float *in, int H, int W, int C, int OH, int OW, double *ref)
{
    int SH = 2 * H, SW = 2 * W;
    double *shuf = malloc(sizeof(double) * C * SH * SW), *blur = malloc(sizeof(double) * C * SH * SW);
    for (int c = 0; c < C; c++)
        for (int y = 0; y < SH; y++)
            for (int xx = 0; xx < SW; xx++)
                shuf[((size_t)c * SH + y) * SW + xx] = in[((size_t)((2 * (y % 2) + xx % 2) * C + c) * H + y / 2) * W + xx / 2];
    for (int c = 0; c < C; c++)
        for (int y = 0; y < SH; y++)
            for (int xx = 0; xx < SW; xx++) {
                int y0 = y ? y - 1 : 0, x0 = xx ? xx - 1 : 0;
                const double *s = shuf + (size_t)c * SH * SW;
                blur[((size_t)c * SH + y) * SW + xx] = (s[y0 * SW + x0] + s[y0 * SW + xx] + s[y * SW + x0] + s[y * SW + xx]) / 4;
            }
    for (int c = 0; c < C; c++)
        for (int y = 0; y < OH; y++)
            for (int xx = 0; xx < OW; xx++) {
                int sy = OH == SH ? y : (int)floorf((float)y * ((float)SH / (float)OH));
                int sx = OW == SW ? xx : (int)floorf((float)xx * ((float)SW / (float)OW));
                sy = sy < SH - 1 ? sy : SH - 1, sx = sx < SW - 1 ? sx : SW - 1;
                ref[((size_t)c * OH + y) * OW + xx] = blur[((size_t)c * SH + sy) * SW + sx];
            }
    free(shuf), free(blur);
}

/* 3x3 stride-2 pad-1 max pool of NCHW `in` (H x W, C channels) */
static void maxpool_ref(const float *in, int H, int W, int C, double *ref)
{
    int OH = (H - 1) / 2 + 1, OW = (W - 1) / 2 + 1;
    for (int c = 0; c < C; c++)
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++) {
                double m = -INFINITY;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++) {
                        int yy = 2 * oy + dy, xx = 2 * ox + dx;
                        if (yy >= 0 && yy < H && xx >= 0 && xx < W && in[(c * H + yy) * W + xx] > m)
                            m = in[(c * H + yy) * W + xx];
                    }
                ref[(c * OH + oy) * OW + ox] = m;
            }
}

/* SAGAN self-attention: proj NCHW (f = channels 0..qk, g = qk..2qk, h = 2qk..2qk + C over
 * N positions), x NCHW (C x N); beta[i][j] = softmax_i(f_i . g_j), out = gamma h beta + x */
static void attention_ref(const double *proj, const double *x, int N, int C, int QK, double gamma, double *ref)
{
    double *sc = malloc(sizeof(double) * N);
    for (int j = 0; j < N; j++) {
        double m = -INFINITY, sum = 0;
        for (int i = 0; i < N; i++) {
            sc[i] = 0;
            for (int q = 0; q < QK; q++)
                sc[i] += proj[q * N + i] * proj[(QK + q) * N + j];
            m = sc[i] > m ? sc[i] : m;
        }
        for (int i = 0; i < N; i++)
            sum += (sc[i] = exp(sc[i] - m));
        for (int c = 0; c < C; c++) {
            double o = 0;
            for (int i = 0; i < N; i++)
                o += proj[(2 * QK + c) * N + i] * sc[i] / sum;
            ref[c * N + j] = gamma * o + x[c * N + j];
        }
    }
    free(sc);
}

#endif
