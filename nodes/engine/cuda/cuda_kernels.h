/* cuda_kernels.h: the CUDA backend's own kernels (cuda_kernels.cu), callable from C.
 * Each launches on the given stream and returns cudaGetLastError() of its launch. Their
 * per-element arithmetic is cuda_math.h's. Views are NHWC frames of a storage kind
 * (FRH_F32, FRH_F16, FRH_BF16): element (f, p, k) is at f * fstride + p * ld + k. */
#ifndef FR_CUDA_KERNELS_H
#define FR_CUDA_KERNELS_H

#include <cuda_runtime_api.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    void *data;
    int h, w, c, ld;
    long fstride;
    int type;
} frk_view;

/* NCHW f32 frames -> NHWC view (FR_OP_INPUT), and back (FR_OP_OUTPUT) */
cudaError_t frk_input(cudaStream_t s, const float *io, frk_view o, int frames);
cudaError_t frk_output(cudaStream_t s, frk_view x, float *io, int frames);
/* o = act(x * scale + shift) per channel; scale, shift f32 on the device */
cudaError_t frk_affine(cudaStream_t s, frk_view x, frk_view o, const float *scale, const float *shift, int act,
                       int frames);
/* o = x (channel slices) */
cudaError_t frk_copy(cudaStream_t s, frk_view x, frk_view o, int frames);
/* 3x3, stride 2, pad 1 max pool */
cudaError_t frk_maxpool(cudaStream_t s, frk_view x, frk_view o, int frames);
/* pixel shuffle x2, ICNR blur, nearest resize to o's size (FR_OP_SHUFFLE) */
cudaError_t frk_shuffle(cudaStream_t s, frk_view x, frk_view o, int frames);
/* a convolution's tail: y = tail(conv, bias, affine, y's old value); conv is dense */
typedef struct {
    int act, sum_first, sum_last;
    float lo, hi;
    const float *bias, *scale, *shift; /* f32 on the device, or NULL */
} frk_tail;
cudaError_t frk_tail_run(cudaStream_t s, frk_view conv, frk_view y, const frk_tail *t, int frames);
/* zero padding: o (h + t + b, w + l + r) = x at offset (t, l), zeros around */
cudaError_t frk_pad(cudaStream_t s, frk_view x, frk_view o, int top, int left, int frames);
/* row softmax of rows x n f32 scores into p (storage kind pt, dense) */
cudaError_t frk_softmax(cudaStream_t s, const float *scores, void *p, int pt, int rows, int n);

#ifdef __cplusplus
}
#endif

#endif
