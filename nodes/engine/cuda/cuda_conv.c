/* cuda_conv.c: convolutions on cuDNN's legacy API, NHWC, storage f32/f16/bf16 with f32
 * accumulation (f32: FMA math, no TF32; f16/bf16: tensor-op math).
 *
 * Fused: conv + bias + ReLU or identity + a residual added before the activation in one
 * cudnnConvolutionBiasActivationForward (z = y: the residual is y's old contents; the
 * identity activation needs the IMPLICIT_PRECOMP_GEMM algorithm). Split: any other tail
 * (ReLU6, sigmoid range, the affine after the activation, a residual added after it) runs
 * as cudnnConvolutionForward into ctx->stage, then frk_tail_run into y. If the fused call
 * is refused at run time (CUDNN_STATUS_NOT_SUPPORTED), that conv goes split from then on.
 * Asymmetric padding (Keras' stride-2 (0,1,0,1)) is zero-padded into ctx->pad first.
 *
 * The algorithm: the first of cuDNN's heuristic list (cudnnGetConvolutionForwardAlgorithm_v7)
 * that succeeds, is deterministic and needs at most WS_CAP of workspace, chosen once per
 * shape, frame count and type and kept in ctx->algos; timing-based search is avoided, since
 * its choice (and so the output's bits) would vary between runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend_cuda.h"

enum { WS_CAP = 256 << 20 };

static int dense_pads(const cuda_conv_spec *s) { return s->pad_t == s->pad_b && s->pad_l == s->pad_r; }

static int fusable(const cuda_conv_spec *s)
{
    return (s->act == FR_ACT_NONE || s->act == FR_ACT_RELU) && !s->cw->post_scale &&
           !(s->accumulate && !s->accumulate_first);
}

static void make_key(const cuda_ctx *c, const cuda_conv *k, int key[16])
{
    const cuda_conv_spec *s = &k->s;
    const fr_convw *cw = s->cw;
    int v[16] = {s->frames, cw->ic, k->ph, k->pw, cw->oc, cw->kh, cw->kw, cw->groups, s->stride,
                 k->padded ? 0 : s->pad_t, k->padded ? 0 : s->pad_l, (int)c->type, k->fused, s->act == FR_ACT_NONE,
                 s->oh, s->ow};
    memcpy(key, v, sizeof v);
}

/* the cached choice for k's key, or a new one from cuDNN's heuristics */
static fr_status choose(cuda_ctx *c, cuda_conv *k, fr_err *err)
{
    const char *layer = k->s.cw->name;
    int key[16];
    make_key(c, k, key);
    for (int i = 0; i < c->nalgos; i++)
        if (!memcmp(c->algos[i].key, key, sizeof key)) {
            k->algo = c->algos[i].algo, k->ws = c->algos[i].ws;
            CU_DNN(cudnnSetConvolutionMathType(k->cd, c->algos[i].math), layer, k->shape);
            return FR_OK;
        }
    cudnnMathType_t math = c->type == FR_F32 ? CUDNN_FMA_MATH : CUDNN_TENSOR_OP_MATH;
    CU_DNN(cudnnSetConvolutionMathType(k->cd, math), layer, k->shape);
    int found = 0;
    if (k->fused && k->s.act == FR_ACT_NONE) { /* identity: only this algorithm */
        k->algo = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM;
        CU_DNN(cudnnGetConvolutionForwardWorkspaceSize(c->dnn, k->xd, k->wd, k->cd, k->yd, k->algo, &k->ws), layer,
               k->shape);
        found = 1;
    } else {
        cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
        int got = 0;
        CU_DNN(cudnnGetConvolutionForwardAlgorithm_v7(c->dnn, k->xd, k->wd, k->cd, k->yd,
                                                      CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &got, perf),
               layer, k->shape);
        for (int i = 0; i < got && !found; i++) {
            if (perf[i].status != CUDNN_STATUS_SUCCESS || perf[i].determinism != CUDNN_DETERMINISTIC ||
                perf[i].memory > WS_CAP)
                continue;
            if (c->type == FR_F32 && perf[i].mathType != CUDNN_FMA_MATH && perf[i].mathType != CUDNN_DEFAULT_MATH)
                continue; /* fp32 stays fp32: no TF32 */
            k->algo = perf[i].algo, k->ws = perf[i].memory, math = perf[i].mathType;
            found = 1;
        }
        if (c->type == FR_F32)
            math = CUDNN_FMA_MATH; /* CUDNN_DEFAULT_MATH would allow TF32 on Ampere and later */
        if (found)
            CU_DNN(cudnnSetConvolutionMathType(k->cd, math), layer, k->shape);
    }
    if (!found)
        return fr_err_set(err, FR_ERR_BACKEND, "cuda: %s: cudnnGetConvolutionForwardAlgorithm_v7: no deterministic "
                          "algorithm within %d MB of workspace, shape %s", layer, WS_CAP >> 20, k->shape);
    if (c->nalgos == c->cap_algos) {
        int cap = c->cap_algos ? 2 * c->cap_algos : 64;
        cuda_algo *a = realloc(c->algos, (size_t)cap * sizeof *a);
        if (!a)
            return fr_err_set(err, FR_ERR_NOMEM, "cuda: %s: out of memory", layer);
        c->algos = a, c->cap_algos = cap;
    }
    cuda_algo *a = &c->algos[c->nalgos++];
    memcpy(a->key, key, sizeof key);
    a->algo = k->algo, a->math = math, a->ws = k->ws;
    return FR_OK;
}

static size_t out_bytes(const cuda_ctx *c, const cuda_conv_spec *s)
{
    return (size_t)s->frames * s->oh * s->ow * s->cw->oc * fr_dtype_size(c->type);
}

fr_status cuda_conv_create(cuda_ctx *c, const cuda_conv_spec *s, cuda_conv *k, fr_err *err)
{
    memset(k, 0, sizeof *k);
    k->s = *s;
    fr_convw *cw = s->cw;
    const char *layer = cw->name;
    k->padded = !dense_pads(s);
    k->ph = s->h + (k->padded ? s->pad_t + s->pad_b : 0);
    k->pw = s->w + (k->padded ? s->pad_l + s->pad_r : 0);
    k->fused = fusable(s);
    snprintf(k->shape, sizeof k->shape, "%dx%dx%dx%d -> %dx%dx%dx%d, %dx%d/%d, pad %d,%d,%d,%d, groups %d", s->frames,
             s->h, s->w, cw->ic, s->frames, s->oh, s->ow, cw->oc, cw->kh, cw->kw, s->stride, s->pad_t, s->pad_l,
             s->pad_b, s->pad_r, cw->groups);
    fr_status st = cuda_weights_upload(c, cw, err);
    if (st != FR_OK)
        return st;
    cudnnDataType_t dt = c->dnn_type;
    CU_DNN(cudnnCreateTensorDescriptor(&k->xd), layer, k->shape);
    CU_DNN(cudnnCreateTensorDescriptor(&k->yd), layer, k->shape);
    CU_DNN(cudnnCreateTensorDescriptor(&k->bd), layer, k->shape);
    CU_DNN(cudnnCreateFilterDescriptor(&k->wd), layer, k->shape);
    CU_DNN(cudnnCreateConvolutionDescriptor(&k->cd), layer, k->shape);
    CU_DNN(cudnnCreateActivationDescriptor(&k->ad), layer, k->shape);
    CU_DNN(cudnnSetTensor4dDescriptor(k->xd, CUDNN_TENSOR_NHWC, dt, s->frames, cw->ic, k->ph, k->pw), layer,
           k->shape);
    CU_DNN(cudnnSetTensor4dDescriptor(k->yd, CUDNN_TENSOR_NHWC, dt, s->frames, cw->oc, s->oh, s->ow), layer,
           k->shape);
    CU_DNN(cudnnSetTensor4dDescriptor(k->bd, CUDNN_TENSOR_NCHW, dt, 1, cw->oc, 1, 1), layer, k->shape);
    CU_DNN(cudnnSetFilter4dDescriptor(k->wd, dt, CUDNN_TENSOR_NHWC, cw->oc, cw->ic / cw->groups, cw->kh, cw->kw),
           layer, k->shape);
    int ph = k->padded ? 0 : s->pad_t, pw = k->padded ? 0 : s->pad_l;
    CU_DNN(cudnnSetConvolution2dDescriptor(k->cd, ph, pw, s->stride, s->stride, 1, 1, CUDNN_CROSS_CORRELATION,
                                           CUDNN_DATA_FLOAT),
           layer, k->shape);
    if (cw->groups > 1)
        CU_DNN(cudnnSetConvolutionGroupCount(k->cd, cw->groups), layer, k->shape);
    CU_DNN(cudnnSetActivationDescriptor(k->ad, s->act == FR_ACT_RELU ? CUDNN_ACTIVATION_RELU : CUDNN_ACTIVATION_IDENTITY,
                                        CUDNN_NOT_PROPAGATE_NAN, 0.0),
           layer, k->shape);
    int n, oc, oh, ow;
    CU_DNN(cudnnGetConvolution2dForwardOutputDim(k->cd, k->xd, k->wd, &n, &oc, &oh, &ow), layer, k->shape);
    if (oh != s->oh || ow != s->ow || oc != cw->oc)
        return fr_err_set(err, FR_ERR_INTERNAL, "cuda: %s: cuDNN gives a %dx%dx%d output, the graph %dx%dx%d, shape %s",
                          layer, oh, ow, oc, s->oh, s->ow, cw->oc, k->shape);
    if ((st = choose(c, k, err)) != FR_OK)
        return st;
    if (k->ws > c->ws_need)
        c->ws_need = k->ws;
    if (!k->fused && out_bytes(c, s) > c->stage_need)
        c->stage_need = out_bytes(c, s);
    size_t pb = (size_t)s->frames * k->ph * k->pw * cw->ic * fr_dtype_size(c->type);
    if (k->padded && pb > c->pad_need)
        c->pad_need = pb;
    return FR_OK;
}

static frk_view dense(void *p, int h, int w, int ch, fr_dtype t)
{
    frk_view v = {p, h, w, ch, ch, (long)h * w * ch, (int)t};
    return v;
}

/* conv into staging, then the whole tail in one kernel */
static fr_status run_split(cuda_ctx *c, cuda_conv *k, const void *x, void *y, fr_err *err)
{
    const cuda_conv_spec *s = &k->s;
    const cuda_weights *wt = s->cw->impl;
    const char *layer = s->cw->name;
    fr_status st = cuda_grow(&c->stage, &c->stage_bytes, out_bytes(c, s), layer, err);
    if (st != FR_OK)
        return st;
    float one = 1.0f, zero = 0.0f;
    CU_DNN(cudnnConvolutionForward(c->dnn, &one, k->xd, x, k->wd, wt->w, k->cd, k->algo, c->ws, k->ws, &zero, k->yd,
                                   c->stage),
           layer, k->shape);
    frk_tail t = {(int)s->act, s->accumulate && s->accumulate_first, s->accumulate && !s->accumulate_first,
                  s->act_lo, s->act_hi, wt->bias, wt->scale, wt->shift};
    frk_view cv = dense(c->stage, s->oh, s->ow, s->cw->oc, c->type), yv = dense(y, s->oh, s->ow, s->cw->oc, c->type);
    CU_RT(frk_tail_run(c->compute, cv, yv, &t, s->frames), layer, k->shape);
    return FR_OK;
}

fr_status cuda_conv_exec(cuda_ctx *c, cuda_conv *k, const void *x, void *y, fr_err *err)
{
    const cuda_conv_spec *s = &k->s;
    const cuda_weights *wt = s->cw->impl;
    const char *layer = s->cw->name;
    if (k->padded) {
        frk_view xv = dense((void *)x, s->h, s->w, s->cw->ic, c->type), pv = dense(c->pad, k->ph, k->pw, s->cw->ic, c->type);
        CU_RT(frk_pad(c->compute, xv, pv, s->pad_t, s->pad_l, s->frames), layer, k->shape);
        x = c->pad;
    }
    if (!k->fused)
        return run_split(c, k, x, y, err);
    float one = 1.0f, alpha2 = s->accumulate ? 1.0f : 0.0f;
    cudnnStatus_t r = cudnnConvolutionBiasActivationForward(c->dnn, &one, k->xd, x, k->wd, wt->w, k->cd, k->algo, c->ws,
                                                            k->ws, &alpha2, k->yd, y, k->bd, wt->bias_t, k->ad, k->yd, y);
    if (r == CUDNN_STATUS_NOT_SUPPORTED) { /* this cuDNN does not fuse it: split from now on */
        k->fused = 0;
        return run_split(c, k, x, y, err);
    }
    return cuda_dnn(r, layer, "cudnnConvolutionBiasActivationForward", k->shape, err);
}

void cuda_conv_destroy(cuda_conv *k)
{
    if (k->xd)
        cudnnDestroyTensorDescriptor(k->xd);
    if (k->yd)
        cudnnDestroyTensorDescriptor(k->yd);
    if (k->bd)
        cudnnDestroyTensorDescriptor(k->bd);
    if (k->wd)
        cudnnDestroyFilterDescriptor(k->wd);
    if (k->cd)
        cudnnDestroyConvolutionDescriptor(k->cd);
    if (k->ad)
        cudnnDestroyActivationDescriptor(k->ad);
    memset(k, 0, sizeof *k);
}
