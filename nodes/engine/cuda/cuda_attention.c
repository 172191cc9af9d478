/* cuda_attention.c: SAGAN self-attention (fastai v1's SelfAttention) on the GPU, in place,
 * with the same algebra as cpu/cpu_attention.c: one 1x1 convolution gives f, g (N x C/8)
 * and h (N x C) side by side (ld = 2 C/8 + C); then per frame
 *   S = g f^T          (cuBLASLt, N x N, f32 out, f32 accumulation)
 *   P = softmax rows   (frk_softmax, into the storage type)
 *   x += gamma P h     (cuBLASLt, beta = 1 into x).
 * cuBLASLt is column-major: a row-major M x K matrix with leading dimension ld is its
 * K x M transpose there, so S (row-major) = (f^T)^T g^T is A = f (qk x N, ld, transposed),
 * B = g (qk x N, ld) and D = N x N; x^T += gamma h^T P^T is A = h (C x N, ld), B = P (N x N),
 * D = x (C x N, ld C). Each product's algorithm is chosen once per plan by cuBLASLt's
 * heuristic. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend_cuda.h"

enum { LT_WS = 32 << 20 };

typedef struct {
    cublasLtMatmulDesc_t desc;
    cublasLtMatrixLayout_t a, b, d;
    cublasLtMatmulAlgo_t algo;
    size_t ws;
} lt_product;

typedef struct {
    cuda_conv qkv;
    int np;
    lt_product scores, out;
    char shape[96];
} cuda_attn;

static void product_destroy(lt_product *p)
{
    if (p->desc)
        cublasLtMatmulDescDestroy(p->desc);
    cublasLtMatrixLayout_t l[3] = {p->a, p->b, p->d};
    for (int i = 0; i < 3; i++)
        if (l[i])
            cublasLtMatrixLayoutDestroy(l[i]);
    memset(p, 0, sizeof *p);
}

/* the alignment cuBLASLt may assume of a pointer whose offsets from a 256-byte aligned
 * allocation are multiples of every one of `offs` bytes */
static uint32_t align_of(const size_t *offs, int n)
{
    uint32_t a = 256;
    for (int i = 0; i < n; i++)
        while (offs[i] % a)
            a /= 2;
    return a;
}

/* D (m x n) = op(A) B with A rows ar x ac (ld lda), B rows br x bc (ld ldb), D m x n (ld ldd);
 * al[4]: the alignments of A, B, C and D in bytes */
static fr_status product_make(cuda_ctx *c, lt_product *p, const char *layer, const char *shape, int trans_a, int ar,
                              int ac, long lda, int br, int bc, long ldb, cudaDataType_t dt, int m, int n, long ldd,
                              const uint32_t al[4], fr_err *err)
{
    CU_LT(cublasLtMatmulDescCreate(&p->desc, CUBLAS_COMPUTE_32F, CUDA_R_32F), layer, shape);
    cublasOperation_t ta = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
    CU_LT(cublasLtMatmulDescSetAttribute(p->desc, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof ta), layer, shape);
    CU_LT(cublasLtMatrixLayoutCreate(&p->a, c->blas_type, (uint64_t)ar, (uint64_t)ac, lda), layer, shape);
    CU_LT(cublasLtMatrixLayoutCreate(&p->b, c->blas_type, (uint64_t)br, (uint64_t)bc, ldb), layer, shape);
    CU_LT(cublasLtMatrixLayoutCreate(&p->d, dt, (uint64_t)m, (uint64_t)n, ldd), layer, shape);
    cublasLtMatmulPreference_t pref;
    CU_LT(cublasLtMatmulPreferenceCreate(&pref), layer, shape);
    size_t cap = LT_WS;
    cublasStatus_t s = cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &cap,
                                                            sizeof cap);
    const cublasLtMatmulPreferenceAttributes_t which[4] = {
        CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES,
        CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES};
    for (int i = 0; i < 4 && s == CUBLAS_STATUS_SUCCESS; i++)
        s = cublasLtMatmulPreferenceSetAttribute(pref, which[i], &al[i], sizeof al[i]);
    cublasLtMatmulHeuristicResult_t res;
    int got = 0;
    if (s == CUBLAS_STATUS_SUCCESS)
        s = cublasLtMatmulAlgoGetHeuristic(c->lt, p->desc, p->a, p->b, p->d, p->d, pref, 1, &res, &got);
    cublasLtMatmulPreferenceDestroy(pref);
    CU_LT(s, layer, shape);
    if (got < 1)
        return fr_err_set(err, FR_ERR_BACKEND, "cuda: %s: cublasLtMatmulAlgoGetHeuristic: no algorithm, shape %s",
                          layer, shape);
    p->algo = res.algo, p->ws = res.workspaceSize;
    if (p->ws > c->ws_need)
        c->ws_need = p->ws;
    return FR_OK;
}

fr_status cuda_attention_prepare(cuda_ctx *c, fr_graph *g, fr_node *n, fr_err *err)
{
    const fr_value *x = &g->v[n->in];
    fr_convw *cw = n->cw;
    if (x->ld != x->c)
        return fr_err_set(err, FR_ERR_INTERNAL, "cuda: %s: attention over a channel slice", cw->name);
    cuda_attn *a = calloc(1, sizeof *a);
    if (!a)
        return fr_err_set(err, FR_ERR_NOMEM, "cuda: %s: out of memory", cw->name);
    n->impl = a;
    int np = x->h * x->w, C = x->c, qk = cw->qk, L = cw->oc;
    a->np = np;
    snprintf(a->shape, sizeof a->shape, "%d frames of %d positions x %d channels (q, k: %d)", g->frames, np, C, qk);
    cuda_conv_spec s = {.cw = cw, .h = x->h, .w = x->w, .oh = x->h, .ow = x->w, .stride = 1, .act = FR_ACT_NONE,
                        .frames = g->frames};
    fr_status st = cuda_conv_create(c, &s, &a->qkv, err);
    size_t es = fr_dtype_size(c->type), fq = (size_t)np * L * es, offs_g[2] = {fq, (size_t)qk * es},
           offs_h[2] = {fq, (size_t)2 * qk * es}, offs_x[2] = {x->fstride * es, (size_t)((uintptr_t)x->data % 256)};
    uint32_t al_s[4] = {align_of(&fq, 1), align_of(offs_g, 2), 256, 256};
    uint32_t ax = align_of(offs_x, 2), al_o[4] = {align_of(offs_h, 2), 256, ax, ax};
    if (st == FR_OK) /* S: A = f (qk x N, transposed), B = g (qk x N), D = N x N f32 */
        st = product_make(c, &a->scores, cw->name, a->shape, 1, qk, np, L, qk, np, L, CUDA_R_32F, np, np, np, al_s,
                          err);
    if (st == FR_OK) /* x += gamma h P: A = h (C x N), B = P (N x N), D = x (C x N) */
        st = product_make(c, &a->out, cw->name, a->shape, 0, C, np, L, np, np, np, c->blas_type, C, np, C, al_o, err);
    if (st != FR_OK)
        return st;
    size_t qkv = (size_t)g->frames * np * L * es, sb = (size_t)np * np * sizeof(float),
           pb = (size_t)np * np * es;
    c->att_qkv_need = qkv > c->att_qkv_need ? qkv : c->att_qkv_need;
    c->att_s_need = sb > c->att_s_need ? sb : c->att_s_need;
    c->att_p_need = pb > c->att_p_need ? pb : c->att_p_need;
    return FR_OK;
}

fr_status cuda_attention_run(cuda_ctx *c, fr_graph *g, fr_node *n, fr_err *err)
{
    cuda_attn *a = n->impl;
    const fr_value *x = &g->v[n->in];
    fr_convw *cw = n->cw;
    const char *layer = cw->name;
    fr_status st = cuda_conv_exec(c, &a->qkv, x->data, c->att_qkv, err);
    if (st != FR_OK)
        return st;
    size_t es = fr_dtype_size(c->type);
    int np = a->np, qk = cw->qk, L = cw->oc;
    float one = 1.0f, zero = 0.0f, gamma = cw->gamma;
    for (int f = 0; f < g->frames; f++) {
        char *q = (char *)c->att_qkv + (size_t)f * np * L * es;
        char *xf = (char *)x->data + (size_t)f * x->fstride * es;
        CU_LT(cublasLtMatmul(c->lt, a->scores.desc, &one, q, a->scores.a, q + (size_t)qk * es, a->scores.b, &zero,
                             c->att_s, a->scores.d, c->att_s, a->scores.d, &a->scores.algo, c->ws, a->scores.ws,
                             c->compute),
              layer, a->shape);
        CU_RT(frk_softmax(c->compute, c->att_s, c->att_p, (int)c->type, np, np), layer, a->shape);
        CU_LT(cublasLtMatmul(c->lt, a->out.desc, &gamma, q + (size_t)2 * qk * es, a->out.a, c->att_p, a->out.b, &one,
                             xf, a->out.d, xf, a->out.d, &a->out.algo, c->ws, a->out.ws, c->compute),
              layer, a->shape);
    }
    return FR_OK;
}

void cuda_attention_unprepare(fr_node *n)
{
    cuda_attn *a = n->impl;
    if (!a)
        return;
    cuda_conv_destroy(&a->qkv);
    product_destroy(&a->scores);
    product_destroy(&a->out);
    free(a);
    n->impl = NULL;
}
