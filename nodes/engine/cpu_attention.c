/* cpu_attention.c: SAGAN self-attention (fastai v1's SelfAttention), in place, NHWC.
 *
 * With x as an N x C matrix (N positions), one 1x1 convolution gives f = x Wq', g = x Wk'
 * (N x C/8) and h = x Wv' (N x C) side by side. fastai computes
 *   beta = softmax over i of (f_i . g_j),  o_j = sum_i h_i beta_ij,  out = gamma o + x,
 * i.e. the softmax runs down each column. Here the transposed scores S[j][i] = g_j . f_i
 * are formed instead, so each row j is one softmax, done by one thread, and
 *   out = gamma * S h + x   is one sgemm with beta = 1 into x.
 * The sgemms are OpenBLAS's, which split M and N across threads but never K. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>

#include "backend_cpu.h"

typedef struct {
    cpu_conv qkv;
    float *buf; /* N x (2 qk + C) projections */
    float *s;   /* N x N scores */
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
    a->s = aligned_alloc(64, (np * np * sizeof(float) + 63) / 64 * 64);
    if (!a->buf || !a->s)
        return fr_err_set(err, FR_ERR_NOMEM, "%s: out of memory for %zu x %zu scores", n->cw->name, np, np);
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
    int np = x->h * x->w, C = x->c, qk = n->cw->qk, ld = n->cw->oc;
    float *f = a->buf, *gk = a->buf + qk, *h = a->buf + 2 * qk, *s = a->s;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, np, np, qk, 1.0f, gk, ld, f, ld, 0.0f, s, np);
#pragma omp parallel for schedule(static)
    for (int j = 0; j < np; j++) {
        float *r = s + (size_t)j * np, m = r[0], sum = 0;
        for (int i = 1; i < np; i++)
            m = r[i] > m ? r[i] : m;
        for (int i = 0; i < np; i++)
            sum += (r[i] = expf(r[i] - m));
        for (int i = 0; i < np; i++)
            r[i] /= sum;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, np, C, np, n->cw->gamma, s, np, h, ld, 1.0f,
                x->data, C);
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
