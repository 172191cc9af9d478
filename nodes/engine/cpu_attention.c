/* cpu_attention.c: SAGAN self-attention (fastai v1's SelfAttention), in place, NHWC.
 *
 * With x as an N x C matrix (N positions), one 1x1 convolution gives f = x Wq', g = x Wk'
 * (N x C/8) and h = x Wv' (N x C) side by side. fastai computes
 *   beta = softmax over i of (f_i . g_j),  o_j = sum_i h_i beta_ij,  out = gamma o + x,
 * i.e. the softmax runs down each column. Here the transposed scores S[j][i] = g_j . f_i
 * are formed instead, so each row j is one softmax, done by one thread, and
 *   out = gamma * S h + x   is one sgemm with beta = 1 into x.
 * Determinism: OpenBLAS picks other kernels for other thread counts (seen: 1 vs 2 threads
 * differ in the last bits), so it always runs single-threaded here, on fixed blocks of
 * ROWS query rows; the blocks are shared out to OpenMP threads. A block's scores, softmax
 * and output rows are computed together, so the scratch is ROWS x N per thread, not N x N. */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>

#include "backend_cpu.h"

enum { ROWS = 64 };

typedef struct {
    cpu_conv qkv;
    float *buf; /* N x (2 qk + C) projections */
    float *s;   /* per thread: ROWS x N scores */
    int nthr;
} cpu_attn;

fr_status cpu_attention_prepare(cpu_ctx *c, fr_graph *g, fr_node *n, fr_err *err)
{
    const fr_value *x = &g->v[n->in];
    if (x->ld != x->c)
        return fr_err_set(err, FR_ERR_INTERNAL, "%s: attention input must be dense", n->cw->name);
    cpu_attn *a = calloc(1, sizeof *a);
    if (!a)
        return fr_err_set(err, FR_ERR_NOMEM, "%s: out of memory", n->cw->name);
    n->impl = a;
    size_t np = (size_t)x->h * x->w;
    a->buf = aligned_alloc(64, (np * n->cw->oc * sizeof(float) + 63) / 64 * 64);
    a->nthr = c->threads;
    a->s = aligned_alloc(64, ((size_t)a->nthr * ROWS * np * sizeof(float) + 63) / 64 * 64);
    if (!a->buf || !a->s)
        return fr_err_set(err, FR_ERR_NOMEM, "%s: out of memory for attention over %zu positions",
                          n->cw->name, np);
    cpu_conv_spec s = {.cw = n->cw, .h = x->h, .w = x->w, .oh = x->h, .ow = x->w, .stride = 1,
                       .act = FR_ACT_NONE, .src = x->data, .dst = a->buf};
    return cpu_conv_create(c, &s, &a->qkv, err);
}

fr_status cpu_attention_run(cpu_ctx *c, fr_graph *g, fr_node *n, fr_err *err)
{
    cpu_attn *a = n->impl;
    const fr_value *x = &g->v[n->in];
    fr_status st = cpu_conv_exec(c, &a->qkv, err);
    if (st)
        return st;
    int np = x->h * x->w, C = x->c, qk = n->cw->qk, ld = n->cw->oc, nblk = (np + ROWS - 1) / ROWS;
    const float *f = a->buf, *gk = a->buf + qk, *h = a->buf + 2 * qk;
    float *out = x->data, gamma = n->cw->gamma;
    openblas_set_num_threads(1);
#pragma omp parallel for schedule(dynamic, 1) num_threads(a->nthr)
    for (int b = 0; b < nblk; b++) {
        int j0 = b * ROWS, rows = np - j0 < ROWS ? np - j0 : ROWS;
        float *s = a->s + (size_t)omp_get_thread_num() * ROWS * np;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, np, qk, 1.0f, gk + (size_t)j0 * ld, ld, f,
                    ld, 0.0f, s, np);
        for (int j = 0; j < rows; j++) {
            float *r = s + (size_t)j * np, m = r[0], sum = 0;
            for (int i = 1; i < np; i++)
                m = r[i] > m ? r[i] : m;
            for (int i = 0; i < np; i++)
                sum += (r[i] = expf(r[i] - m));
            for (int i = 0; i < np; i++)
                r[i] /= sum;
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, C, np, gamma, s, np, h, ld, 1.0f,
                    out + (size_t)j0 * C, C);
    }
    return FR_OK;
}

void cpu_attention_unprepare(fr_node *n)
{
    cpu_attn *a = n->impl;
    if (!a)
        return;
    cpu_conv_destroy(&a->qkv);
    free(a->buf);
    free(a->s);
    free(a);
    n->impl = NULL;
}
