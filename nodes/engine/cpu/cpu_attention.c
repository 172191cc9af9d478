/* cpu_attention.c: SAGAN self-attention (fastai v1's SelfAttention), in place, NHWC.
 *
 * With x as an N x C matrix (N positions), one 1x1 convolution gives f = x Wq', g = x Wk'
 * (N x C/8) and h = x Wv' (N x C) side by side. fastai computes
 *   beta = softmax over i of (f_i . g_j),  o_j = sum_i h_i beta_ij,  out = gamma o + x,
 * i.e. the softmax runs down each column. Here the transposed scores S[j][i] = g_j . f_i
 * are formed instead, so each row j is one softmax, done by one thread, and
 *   out = gamma * S h + x   is one sgemm with beta = 1 into x.
 * The two products run on oneDNN's matmul (cpu_matmul.c, planned for one thread), or on
 * oneDNN's sgemm where its matmul has only a reference kernel. Determinism: both follow the
 * run's instruction-set cap (OpenBLAS, which picks its kernels by the CPU it finds, would
 * not), and GEMMs pick other kernels for other thread counts (seen: 1 vs 2 threads differ
 * in the last bits), so each runs single-threaded here, on fixed blocks of
 * ROWS query rows; the blocks are shared out to OpenMP threads. A block's scores, softmax
 * and output rows are computed together, so the scratch is ROWS x N per thread, not N x N. */
#include <emmintrin.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>

#include "backend_cpu.h"

enum { ROWS = 256 };

/* exp(x) for x <= 0 (scores minus their row maximum): x = n ln2 + r, |r| <= ln2/2, exp(r)
 * by its degree-6 Taylor polynomial (relative error < 3e-7, about 2 ulp), times 2^n built
 * in the exponent bits. Arguments below -87 give exp(-87) ~ 1.6e-38, nothing next to the
 * row maximum's exp(0) = 1. The SSE2 version (x86-64's baseline; libm's expf does not
 * vectorise at this build's flags) and the scalar one do the same float operations in the
 * same order, so a value does not depend on where a row's tail falls. */
static inline float exp_nonpos(float x)
{
    x = x < -87.0f ? -87.0f : x;
    float n = (x * 1.44269504089f + 12582912.0f) - 12582912.0f; /* round to nearest */
    float r = (x - n * 0.693145751953125f) - n * 1.428606765330187e-06f;
    float p = 1.0f + r * (1.0f + r * (0.5f + r * (1.0f / 6 + r * (1.0f / 24 + r * (1.0f / 120 + r * (1.0f / 720))))));
    union { int i; float f; } u = {.i = ((int)n + 127) << 23};
    return p * u.f;
}

static inline __m128 exp_nonpos4(__m128 x)
{
    x = _mm_max_ps(x, _mm_set1_ps(-87.0f));
    __m128 magic = _mm_set1_ps(12582912.0f);
    __m128 n = _mm_sub_ps(_mm_add_ps(_mm_mul_ps(x, _mm_set1_ps(1.44269504089f)), magic), magic);
    __m128 r = _mm_sub_ps(_mm_sub_ps(x, _mm_mul_ps(n, _mm_set1_ps(0.693145751953125f))),
                          _mm_mul_ps(n, _mm_set1_ps(1.428606765330187e-06f)));
    __m128 p = _mm_set1_ps(1.0f / 720);
    p = _mm_add_ps(_mm_set1_ps(1.0f / 120), _mm_mul_ps(r, p));
    p = _mm_add_ps(_mm_set1_ps(1.0f / 24), _mm_mul_ps(r, p));
    p = _mm_add_ps(_mm_set1_ps(1.0f / 6), _mm_mul_ps(r, p));
    p = _mm_add_ps(_mm_set1_ps(0.5f), _mm_mul_ps(r, p));
    p = _mm_add_ps(_mm_set1_ps(1.0f), _mm_mul_ps(r, p));
    p = _mm_add_ps(_mm_set1_ps(1.0f), _mm_mul_ps(r, p));
    __m128i e = _mm_slli_epi32(_mm_add_epi32(_mm_cvttps_epi32(n), _mm_set1_epi32(127)), 23);
    return _mm_mul_ps(p, _mm_castsi128_ps(e));
}

/* One softmax row in place. The sum runs in four lanes, then lanes in a fixed order. */
static void softmax_row(float *r, int n)
{
    float m = r[0];
    for (int i = 1; i < n; i++)
        m = r[i] > m ? r[i] : m;
    __m128 vm = _mm_set1_ps(m), vs = _mm_setzero_ps();
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        __m128 e = exp_nonpos4(_mm_sub_ps(_mm_loadu_ps(r + i), vm));
        _mm_storeu_ps(r + i, e);
        vs = _mm_add_ps(vs, e);
    }
    float lane[4];
    _mm_storeu_ps(lane, vs);
    float sum = (lane[0] + lane[1]) + (lane[2] + lane[3]);
    for (; i < n; i++)
        sum += (r[i] = exp_nonpos(r[i] - m));
    __m128 inv = _mm_set1_ps(1.0f / sum);
    for (i = 0; i + 4 <= n; i += 4)
        _mm_storeu_ps(r + i, _mm_mul_ps(_mm_loadu_ps(r + i), inv));
    for (; i < n; i++)
        r[i] *= 1.0f / sum;
}

typedef struct {
    cpu_conv qkv;
    float *buf; /* N x (2 qk + C) projections */
    float *s;   /* per thread: ROWS x N scores */
    int nthr;
    int dnnl;   /* the products on oneDNN (cpu_matmul.c), else OpenBLAS */
    cpu_matmul scores[2], out[2]; /* [0]: blocks of ROWS rows, [1]: the last, shorter block */
} cpu_attn;

/* The two products of a block of `rows` query rows on oneDNN: S = G_blk F^T, then
 * out_blk += gamma S H. FR_ERR_BACKEND when oneDNN would run a reference kernel. */
static fr_status make_products(cpu_ctx *c, cpu_attn *a, const fr_node *n, int np, int k, int rows, fr_err *err)
{
    int qk = n->cw->qk, C = n->cw->ic, ld = n->cw->oc;
    cpu_matmul_shape sc = {.m = rows, .n = np, .k = qk, .lda = ld, .ldb = ld, .b_trans = 1, .ldc = np, .alpha = 1};
    cpu_matmul_shape out = {.m = rows, .n = C, .k = np, .lda = np, .ldb = ld, .ldc = C, .alpha = n->cw->gamma,
                            .accumulate = 1};
    fr_status st = cpu_matmul_create(c, &a->scores[k], &sc, a->nthr, n->cw->name, err);
    if (st == FR_OK)
        st = cpu_matmul_create(c, &a->out[k], &out, a->nthr, n->cw->name, err);
    return st;
}

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
    int tail = (int)(np % ROWS);
    a->dnnl = make_products(c, a, n, (int)np, 0, ROWS, NULL) == FR_OK &&
              (!tail || make_products(c, a, n, (int)np, 1, tail, NULL) == FR_OK);
    if (!a->dnnl)
        for (int k = 0; k < 2; k++)
            cpu_matmul_destroy(&a->scores[k]), cpu_matmul_destroy(&a->out[k]);
    cpu_conv_spec s = {.cw = n->cw, .h = x->h, .w = x->w, .oh = x->h, .ow = x->w, .stride = 1,
                       .act = FR_ACT_NONE, .frames = 1, .src = x->data, .dst = a->buf};
    return cpu_conv_create(c, &s, &a->qkv, err);
}

static int attend(cpu_attn *a, const fr_node *n, const fr_value *x, float *out);

fr_status cpu_attention_run(cpu_ctx *c, fr_graph *g, fr_node *n, fr_err *err)
{
    cpu_attn *a = n->impl;
    const fr_value *x = &g->v[n->in];
    for (int f = 0; f < g->frames; f++) {
        a->qkv.src_base = fr_value_frame(x, f);
        fr_status st = cpu_conv_exec(c, &a->qkv, err);
        if (st != FR_OK)
            return st;
        if (!attend(a, n, x, fr_value_frame(x, f)))
            return fr_err_set(err, FR_ERR_BACKEND, "%s: oneDNN matmul failed", n->cw->name);
    }
    return FR_OK;
}

/* out += gamma * softmax(g f^T) h for one frame, in fixed blocks of ROWS query rows; 0 if
 * a oneDNN product failed */
static int attend(cpu_attn *a, const fr_node *n, const fr_value *x, float *out)
{
    int np = x->h * x->w, C = x->c, qk = n->cw->qk, ld = n->cw->oc, nblk = (np + ROWS - 1) / ROWS;
    const float *f = a->buf, *gk = a->buf + qk, *h = a->buf + 2 * qk;
    float gamma = n->cw->gamma;
    int failed = 0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(a->nthr) reduction(| : failed)
    for (int b = 0; b < nblk; b++) {
        int j0 = b * ROWS, rows = np - j0 < ROWS ? np - j0 : ROWS, t = omp_get_thread_num(), k = rows < ROWS;
        float *s = a->s + (size_t)t * ROWS * np;
        if (a->dnnl)
            failed |= cpu_matmul_run(&a->scores[k], t, gk + (size_t)j0 * ld, f, s) != dnnl_success;
        else
            failed |= dnnl_sgemm('N', 'T', rows, np, qk, 1.0f, gk + (size_t)j0 * ld, ld, f, ld, 0.0f, s, np) !=
                      dnnl_success;
        for (int j = 0; j < rows; j++)
            softmax_row(s + (size_t)j * np, np);
        if (a->dnnl)
            failed |= cpu_matmul_run(&a->out[k], t, s, h, out + (size_t)j0 * C) != dnnl_success;
        else
            failed |= dnnl_sgemm('N', 'N', rows, C, np, gamma, s, np, h, ld, 1.0f, out + (size_t)j0 * C, C) !=
                      dnnl_success;
    }
    return !failed;
}

void cpu_attention_unprepare(fr_node *n)
{
    cpu_attn *a = n->impl;
    if (!a)
        return;
    cpu_conv_destroy(&a->qkv);
    for (int k = 0; k < 2; k++)
        cpu_matmul_destroy(&a->scores[k]), cpu_matmul_destroy(&a->out[k]);
    free(a->buf);
    free(a->s);
    free(a);
    n->impl = NULL;
}
