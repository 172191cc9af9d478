/* backend_cuda.h: private to the CUDA backend (nodes/engine/cuda/).
 *
 * Activations are NHWC in the precision's storage type (f32, f16 or bf16; fp32
 * accumulation everywhere). Convolutions run on cuDNN 9's legacy convolution API:
 * cudnnConvolutionBiasActivationForward fuses conv + bias + ReLU (or identity) + the
 * residual sum taken before the activation, in one call; every other tail (ReLU6, sigmoid
 * range, DeOldify's batch norm after the ReLU, a residual added after the activation) runs
 * as conv into staging, then one tail kernel. The algorithm of each convolution is chosen
 * once per shape and frame count (cuDNN's heuristics, deterministic algorithms only) and
 * cached. Attention's two products run on cuBLASLt, the rest on cuda_kernels.cu.
 *
 * Memory: weights are converted and uploaded once per node (cuda_weights.c); frames come
 * and go through pinned host buffers on a copy stream, the compute on its own stream,
 * ordered by events. Every CUDA, cuDNN and cuBLAS status is checked (cuda_check.c) and an
 * error names the layer, the call and the shape. */
#ifndef FR_BACKEND_CUDA_H
#define FR_BACKEND_CUDA_H

#include <cublasLt.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include "cuda_kernels.h"
#include "fr_backend.h"

/* one cached algorithm choice: the convolution's shape, frame count and type */
typedef struct {
    int key[16];
    cudnnConvolutionFwdAlgo_t algo;
    cudnnMathType_t math;
    size_t ws;
} cuda_algo;

typedef struct {
    int device;
    char device_name[96];
    int sm;                     /* compute capability, 10 major + minor */
    fr_dtype type;              /* storage of activations and weights */
    cudnnDataType_t dnn_type;
    cudaDataType_t blas_type;
    cudaStream_t compute, copy;
    cudaEvent_t uploaded, computed;
    cudnnHandle_t dnn;
    cublasLtHandle_t lt;
    /* grown at plan_done to what the prepared nodes asked for; shared (nodes run in turn) */
    void *ws, *stage, *pad;
    size_t ws_bytes, ws_need, stage_bytes, stage_need, pad_bytes, pad_need;
    /* attention: the projections of one batch, one frame's f32 scores and probabilities */
    void *att_qkv, *att_s, *att_p;
    size_t att_qkv_bytes, att_qkv_need, att_s_bytes, att_s_need, att_p_bytes, att_p_need;
    /* pinned frames in and out; a download is finished by synchronize() */
    void *pin_in, *pin_out;
    size_t pin_in_bytes, pin_out_bytes;
    void *pending_host;
    size_t pending_bytes;
    cuda_algo *algos;
    int nalgos, cap_algos;
} cuda_ctx;

/* The device form of one convolution's weights (fr_convw.impl), uploaded once. */
typedef struct {
    void *w;                    /* OHWI ("KRSC"), storage type */
    void *bias_t;               /* [oc] storage type, zeros when the model has none */
    float *bias, *scale, *shift; /* f32 [oc] for the tail kernel; scale/shift NULL if none */
} cuda_weights;

/* A convolution over dense NHWC buffers, independent of graph nodes (attention reuses it
 * for its projections). */
typedef struct {
    fr_convw *cw;
    int h, w, oh, ow;
    int stride, pad_t, pad_l, pad_b, pad_r;
    fr_act act;
    float act_lo, act_hi;
    int accumulate, accumulate_first;
    int frames;
} cuda_conv_spec;

typedef struct {
    cuda_conv_spec s;
    cudnnTensorDescriptor_t xd, yd, bd;
    cudnnFilterDescriptor_t wd;
    cudnnConvolutionDescriptor_t cd;
    cudnnActivationDescriptor_t ad;
    cudnnConvolutionFwdAlgo_t algo;
    size_t ws;
    int fused;       /* one cudnnConvolutionBiasActivationForward */
    int padded;      /* asymmetric padding: the input is zero-padded into ctx->pad first */
    int ph, pw;      /* the padded input's size */
    char shape[112]; /* for errors: "8x336x336x64 -> 8x336x336x64, 3x3/1" */
} cuda_conv;

/* cuda_check.c: FR_OK, or the error naming layer, call and shape. Out of memory is
 * FR_ERR_NOMEM and suggests a smaller --batch. */
fr_status cuda_rt(cudaError_t e, const char *layer, const char *call, const char *shape, fr_err *err);
fr_status cuda_dnn(cudnnStatus_t s, const char *layer, const char *call, const char *shape, fr_err *err);
fr_status cuda_lt(cublasStatus_t s, const char *layer, const char *call, const char *shape, fr_err *err);
#define CU_RT(call, layer, shape)                                                                                 \
    do {                                                                                                          \
        fr_status st_ = cuda_rt((call), (layer), #call, (shape), err);                                           \
        if (st_ != FR_OK)                                                                                         \
            return st_;                                                                                           \
    } while (0)
#define CU_DNN(call, layer, shape)                                                                                \
    do {                                                                                                          \
        fr_status st_ = cuda_dnn((call), (layer), #call, (shape), err);                                          \
        if (st_ != FR_OK)                                                                                         \
            return st_;                                                                                           \
    } while (0)
#define CU_LT(call, layer, shape)                                                                                 \
    do {                                                                                                          \
        fr_status st_ = cuda_lt((call), (layer), #call, (shape), err);                                           \
        if (st_ != FR_OK)                                                                                         \
            return st_;                                                                                           \
    } while (0)

/* frk_view of a graph value */
frk_view cuda_view(const fr_value *v);

/* cuda_weights.c */
fr_status cuda_weights_upload(cuda_ctx *c, fr_convw *cw, fr_err *err);
void cuda_weights_free(fr_convw *cw);

/* cuda_conv.c: create picks (or finds cached) the algorithm and records the workspace,
 * staging and padding the conv needs in c; exec runs it from x into y (y's old contents
 * are the residual when the spec accumulates). */
fr_status cuda_conv_create(cuda_ctx *c, const cuda_conv_spec *s, cuda_conv *k, fr_err *err);
fr_status cuda_conv_exec(cuda_ctx *c, cuda_conv *k, const void *x, void *y, fr_err *err);
void cuda_conv_destroy(cuda_conv *k);

/* grows a device buffer to need bytes (contents dropped) */
fr_status cuda_grow(void **buf, size_t *have, size_t need, const char *what, fr_err *err);

/* cuda_attention.c */
fr_status cuda_attention_prepare(cuda_ctx *c, fr_graph *g, fr_node *n, fr_err *err);
fr_status cuda_attention_run(cuda_ctx *c, fr_graph *g, fr_node *n, fr_err *err);
void cuda_attention_unprepare(fr_node *n);

/* cuda_ops.c: the graph ops on cuda_kernels.cu */
fr_status cuda_op_run(cuda_ctx *c, const fr_graph *g, const fr_node *n, fr_err *err);
void cuda_affine_free(fr_node *n);

#endif
