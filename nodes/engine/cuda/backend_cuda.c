/* backend_cuda.c: the CUDA backend's table: device choice (the node's local rank modulo
 * the visible GPUs), handles and streams, device memory, pinned transfers, per-node
 * prepare/run dispatch, the shared workspace and staging, and the numerics string.
 *
 * Transfers: upload() copies the frames into a pinned buffer and starts the host-to-device
 * copy on the copy stream; the compute stream waits for it by an event. download() starts
 * the device-to-host copy on the copy stream once the compute stream's work is recorded
 * done; synchronize() waits for it and copies out of the pinned buffer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend_cuda.h"

int fr_backend_cuda_devices(char *why, size_t len)
{
    /* without the driver's device node (or WSL's), CUDA would take a second and ~150 MB
     * to say the same */
    if (access("/dev/nvidiactl", F_OK) != 0 && access("/dev/dxg", F_OK) != 0) {
        snprintf(why, len, "no NVIDIA driver: /dev/nvidiactl is missing");
        return 0;
    }
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        snprintf(why, len, "cudaGetDeviceCount: %s", cudaGetErrorString(e));
        (void)cudaGetLastError();
        return 0;
    }
    if (n <= 0)
        snprintf(why, len, "cudaGetDeviceCount: no CUDA device visible");
    return n;
}

static void *cuda_alloc(void *ctx, size_t bytes)
{
    cuda_ctx *c = ctx;
    void *p = NULL;
    /* zeroed: a fused conv without a residual still names y as its z (scaled by 0), so
     * y must never hold a NaN left by chance */
    if (cudaSetDevice(c->device) != cudaSuccess || cudaMalloc(&p, bytes ? bytes : 1) != cudaSuccess ||
        cudaMemset(p, 0, bytes ? bytes : 1) != cudaSuccess) {
        (void)cudaGetLastError();
        if (p)
            cudaFree(p);
        return NULL; /* the engine's message suggests a smaller --batch */
    }
    return p;
}

static void cuda_release(void *ctx, void *p)
{
    (void)ctx;
    if (p)
        cudaFree(p);
}

static fr_status pinned(void **p, size_t *have, size_t need, fr_err *err)
{
    if (need <= *have)
        return FR_OK;
    if (*p)
        cudaFreeHost(*p);
    *p = NULL, *have = 0;
    char shape[48];
    snprintf(shape, sizeof shape, "%zu MB", need >> 20);
    CU_RT(cudaMallocHost(p, need), "frames", shape);
    *have = need;
    return FR_OK;
}

static fr_status cuda_upload(void *ctx, void *dev, const void *host, size_t bytes, fr_err *err)
{
    cuda_ctx *c = ctx;
    char shape[48];
    snprintf(shape, sizeof shape, "%zu bytes", bytes);
    /* the device is per thread, and the caller's thread may change between batches */
    CU_RT(cudaSetDevice(c->device), "frames in", c->device_name);
    /* the pinned buffer is free once the last upload from it is done */
    CU_RT(cudaEventSynchronize(c->uploaded), "frames in", shape);
    fr_status st = pinned(&c->pin_in, &c->pin_in_bytes, bytes, err);
    if (st != FR_OK)
        return st;
    memcpy(c->pin_in, host, bytes);
    CU_RT(cudaMemcpyAsync(dev, c->pin_in, bytes, cudaMemcpyHostToDevice, c->copy), "frames in", shape);
    CU_RT(cudaEventRecord(c->uploaded, c->copy), "frames in", shape);
    CU_RT(cudaStreamWaitEvent(c->compute, c->uploaded, 0), "frames in", shape);
    return FR_OK;
}

static fr_status cuda_download(void *ctx, void *host, const void *dev, size_t bytes, fr_err *err)
{
    cuda_ctx *c = ctx;
    char shape[48];
    snprintf(shape, sizeof shape, "%zu bytes", bytes);
    if (c->pending_host)
        return fr_err_set(err, FR_ERR_INTERNAL, "cuda: a download is still pending (synchronize first)");
    fr_status st = pinned(&c->pin_out, &c->pin_out_bytes, bytes, err);
    if (st != FR_OK)
        return st;
    CU_RT(cudaEventRecord(c->computed, c->compute), "frames out", shape);
    CU_RT(cudaStreamWaitEvent(c->copy, c->computed, 0), "frames out", shape);
    CU_RT(cudaMemcpyAsync(c->pin_out, dev, bytes, cudaMemcpyDeviceToHost, c->copy), "frames out", shape);
    c->pending_host = host, c->pending_bytes = bytes;
    return FR_OK;
}

static fr_status cuda_synchronize(void *ctx, fr_err *err)
{
    cuda_ctx *c = ctx;
    CU_RT(cudaStreamSynchronize(c->compute), "synchronize", "compute stream");
    CU_RT(cudaStreamSynchronize(c->copy), "synchronize", "copy stream");
    if (c->pending_host) {
        memcpy(c->pending_host, c->pin_out, c->pending_bytes);
        c->pending_host = NULL, c->pending_bytes = 0;
    }
    return FR_OK;
}

static void cuda_numerics(void *ctx, char *buf, size_t len)
{
    const cuda_ctx *c = ctx;
    /* the card's architecture and cuDNN's version pick the kernels, and so the bits */
    size_t v = cudnnGetVersion();
    snprintf(buf, len, "cuda %s sm%d cudnn%d.%d", c->type == FR_F32 ? "fp32" : c->type == FR_F16 ? "fp16" : "bf16",
             c->sm, (int)(v / 10000), (int)(v / 100 % 100));
}

static fr_status cuda_prepare(void *ctx, fr_graph *g, fr_node *n, fr_err *err)
{
    cuda_ctx *c = ctx;
    CU_RT(cudaSetDevice(c->device), "prepare", c->device_name);
    if (n->op == FR_OP_ATTENTION)
        return cuda_attention_prepare(c, g, n, err);
    if (n->op != FR_OP_CONV)
        return FR_OK;
    const fr_value *x = &g->v[n->in], *y = &g->v[n->out];
    if (x->ld != x->c || y->ld != y->c)
        return fr_err_set(err, FR_ERR_INTERNAL, "cuda: %s: convolution over a channel slice", n->cw->name);
    cuda_conv *k = calloc(1, sizeof *k);
    if (!k)
        return fr_err_set(err, FR_ERR_NOMEM, "cuda: %s: out of memory", n->cw->name);
    cuda_conv_spec s = {.cw = n->cw, .h = x->h, .w = x->w, .oh = y->h, .ow = y->w, .stride = n->stride,
                        .pad_t = n->pad_t, .pad_l = n->pad_l, .pad_b = n->pad_b, .pad_r = n->pad_r, .act = n->act,
                        .act_lo = n->act_lo, .act_hi = n->act_hi, .accumulate = n->accumulate,
                        .accumulate_first = n->accumulate_first, .frames = g->frames};
    n->impl = k;
    return cuda_conv_create(c, &s, k, err);
}

static fr_status cuda_plan_done(void *ctx, fr_graph *g, fr_err *err)
{
    (void)g;
    cuda_ctx *c = ctx;
    fr_status st;
    if ((st = cuda_grow(&c->ws, &c->ws_bytes, c->ws_need, "workspace", err)) != FR_OK ||
        (st = cuda_grow(&c->stage, &c->stage_bytes, c->stage_need, "conv staging", err)) != FR_OK ||
        (st = cuda_grow(&c->pad, &c->pad_bytes, c->pad_need, "padding", err)) != FR_OK ||
        (st = cuda_grow(&c->att_qkv, &c->att_qkv_bytes, c->att_qkv_need, "attention projections", err)) != FR_OK ||
        (st = cuda_grow(&c->att_s, &c->att_s_bytes, c->att_s_need, "attention scores", err)) != FR_OK ||
        (st = cuda_grow(&c->att_p, &c->att_p_bytes, c->att_p_need, "attention probabilities", err)) != FR_OK)
        return st;
    return FR_OK;
}

static fr_status cuda_run(void *ctx, fr_graph *g, fr_node *n, fr_err *err)
{
    cuda_ctx *c = ctx;
    if (n->op == FR_OP_INPUT) /* a batch's first node: this thread on the backend's device */
        CU_RT(cudaSetDevice(c->device), "input", c->device_name);
    if (n->op == FR_OP_CONV) {
        cuda_conv *k = n->impl;
        return cuda_conv_exec(c, k, g->v[n->in].data, g->v[n->out].data, err);
    }
    if (n->op == FR_OP_ATTENTION)
        return cuda_attention_run(c, g, n, err);
    return cuda_op_run(c, g, n, err);
}

static void cuda_unprepare(void *ctx, fr_node *n)
{
    (void)ctx;
    if (n->op == FR_OP_ATTENTION) {
        cuda_attention_unprepare(n);
    } else if (n->op == FR_OP_AFFINE) {
        cuda_affine_free(n);
    } else if (n->op == FR_OP_CONV && n->impl) {
        cuda_conv_destroy(n->impl);
        free(n->impl);
        n->impl = NULL;
    }
}

static void cuda_wfree(void *ctx, fr_convw *w)
{
    (void)ctx;
    cuda_weights_free(w);
}

static void cuda_free(void *ctx)
{
    cuda_ctx *c = ctx;
    if (!c)
        return;
    if (c->compute)
        cudaStreamSynchronize(c->compute);
    if (c->copy)
        cudaStreamSynchronize(c->copy);
    void *dev[] = {c->ws, c->stage, c->pad, c->att_qkv, c->att_s, c->att_p};
    for (size_t i = 0; i < sizeof dev / sizeof *dev; i++)
        if (dev[i])
            cudaFree(dev[i]);
    if (c->pin_in)
        cudaFreeHost(c->pin_in);
    if (c->pin_out)
        cudaFreeHost(c->pin_out);
    if (c->dnn)
        cudnnDestroy(c->dnn);
    if (c->lt)
        cublasLtDestroy(c->lt);
    if (c->uploaded)
        cudaEventDestroy(c->uploaded);
    if (c->computed)
        cudaEventDestroy(c->computed);
    if (c->compute)
        cudaStreamDestroy(c->compute);
    if (c->copy)
        cudaStreamDestroy(c->copy);
    free(c->algos);
    free(c);
}

#define CUDA_OPS(nm, t)                                                                                           \
    {                                                                                                             \
        .name = "cuda", .act_type = t, .alloc = cuda_alloc, .release = cuda_release, .upload = cuda_upload,        \
        .download = cuda_download, .synchronize = cuda_synchronize, .prepare = cuda_prepare,                       \
        .plan_done = cuda_plan_done, .run = cuda_run, .unprepare = cuda_unprepare, .weights_free = cuda_wfree,     \
        .numerics = cuda_numerics, .free = cuda_free,                                                              \
    }
static const fr_backend_ops ops_f32 = CUDA_OPS("cuda", FR_F32);
static const fr_backend_ops ops_f16 = CUDA_OPS("cuda", FR_F16);
static const fr_backend_ops ops_bf16 = CUDA_OPS("cuda", FR_BF16);

static fr_status setup(cuda_ctx *c, int devices, int want, fr_err *err)
{
    c->device = want % devices;
    char shape[48];
    snprintf(shape, sizeof shape, "device %d of %d", c->device, devices);
    CU_RT(cudaSetDevice(c->device), "cuda backend", shape);
    struct cudaDeviceProp p;
    CU_RT(cudaGetDeviceProperties(&p, c->device), "cuda backend", shape);
    snprintf(c->device_name, sizeof c->device_name, "%.64s (device %d)", p.name, c->device);
    c->sm = p.major * 10 + p.minor;
    if (c->type == FR_BF16 && p.major < 8)
        return fr_err_set(err, FR_ERR_ARG, "precision 'bf16': %s is compute capability %d.%d; bf16 needs 8.0 or later",
                          p.name, p.major, p.minor);
    CU_RT(cudaStreamCreateWithFlags(&c->compute, cudaStreamNonBlocking), "cuda backend", shape);
    CU_RT(cudaStreamCreateWithFlags(&c->copy, cudaStreamNonBlocking), "cuda backend", shape);
    CU_RT(cudaEventCreateWithFlags(&c->uploaded, cudaEventDisableTiming), "cuda backend", shape);
    CU_RT(cudaEventCreateWithFlags(&c->computed, cudaEventDisableTiming), "cuda backend", shape);
    CU_DNN(cudnnCreate(&c->dnn), "cuda backend", shape);
    CU_DNN(cudnnSetStream(c->dnn, c->compute), "cuda backend", shape);
    CU_LT(cublasLtCreate(&c->lt), "cuda backend", shape);
    return FR_OK;
}

fr_status fr_backend_cuda_new(fr_backend *b, const fr_backend_opts *o, fr_err *err)
{
    char why[160];
    int devices = fr_backend_cuda_devices(why, sizeof why);
    if (devices <= 0)
        return fr_err_set(err, FR_ERR_BACKEND, "backend 'cuda': no usable GPU here (%s)", why);
    if (o->winograd == 1) /* a setting of the cpu backend's */
        return fr_err_set(err, FR_ERR_ARG, "--winograd on is a cpu setting; the cuda backend has no Winograd mode");
    cuda_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return fr_err_set(err, FR_ERR_NOMEM, "cuda backend: out of memory");
    const char *p = o->precision ? o->precision : "fp32";
    c->type = !strcmp(p, "fp16") ? FR_F16 : !strcmp(p, "bf16") ? FR_BF16 : FR_F32;
    c->dnn_type = c->type == FR_F16 ? CUDNN_DATA_HALF : c->type == FR_BF16 ? CUDNN_DATA_BFLOAT16 : CUDNN_DATA_FLOAT;
    c->blas_type = c->type == FR_F16 ? CUDA_R_16F : c->type == FR_BF16 ? CUDA_R_16BF : CUDA_R_32F;
    fr_status st = setup(c, devices, o->device, err);
    if (st != FR_OK) {
        cuda_free(c);
        return st;
    }
    b->ops = c->type == FR_F16 ? &ops_f16 : c->type == FR_BF16 ? &ops_bf16 : &ops_f32;
    b->ctx = c;
    return FR_OK;
}
