/* cuda_kernels.cu: the small kernels of the CUDA backend (layout changes, affine, copies
 * into channel slices, max pool, pixel shuffle with the ICNR blur and nearest resize,
 * convolution tails, zero padding, row softmax). One thread per output element, grid-
 * stride loops over 64-bit indices; each output element is written by one thread, so the
 * results do not depend on the launch shape. The arithmetic is cuda_math.h's. */
#include "cuda_kernels.h"
#include "cuda_math.h"

namespace {

const int THREADS = 256;

int blocks_for(long n)
{
    long b = (n + THREADS - 1) / THREADS;
    return (int)(b < 65535 * 16 ? (b > 0 ? b : 1) : 65535 * 16);
}

__device__ long at(const frk_view &v, int f, long p, int k) { return (long)f * v.fstride + p * v.ld + k; }

__global__ void k_input(const float *io, frk_view o, int frames)
{
    long hw = (long)o.h * o.w, n = (long)frames * hw * o.c;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x) {
        int k = (int)(i % o.c);
        long p = (i / o.c) % hw;
        int f = (int)(i / (o.c * hw));
        frh_store(o.data, at(o, f, p, k), o.type, io[(long)f * o.c * hw + frh_nchw_index(p, k, hw)]);
    }
}

__global__ void k_output(frk_view x, float *io, int frames)
{
    long hw = (long)x.h * x.w, n = (long)frames * hw * x.c;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x) {
        long p = i % hw;
        int k = (int)((i / hw) % x.c), f = (int)(i / (x.c * hw));
        io[i] = frh_load(x.data, at(x, f, p, k), x.type);
    }
}

__global__ void k_affine(frk_view x, frk_view o, const float *sc, const float *sh, int act, int frames)
{
    long hw = (long)x.h * x.w, n = (long)frames * hw * x.c;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x) {
        int k = (int)(i % x.c);
        long p = (i / x.c) % hw;
        int f = (int)(i / (x.c * hw));
        float v = frh_affine(frh_load(x.data, at(x, f, p, k), x.type), sc[k], sh[k], act);
        frh_store(o.data, at(o, f, p, k), o.type, v);
    }
}

__global__ void k_copy(frk_view x, frk_view o, int frames)
{
    long hw = (long)x.h * x.w, n = (long)frames * hw * x.c;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x) {
        int k = (int)(i % x.c);
        long p = (i / x.c) % hw;
        int f = (int)(i / (x.c * hw));
        frh_store(o.data, at(o, f, p, k), o.type, frh_load(x.data, at(x, f, p, k), x.type));
    }
}

__global__ void k_maxpool(frk_view x, frk_view o, int frames)
{
    long ohw = (long)o.h * o.w, n = (long)frames * ohw * o.c;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x) {
        int k = (int)(i % o.c);
        long p = (i / o.c) % ohw;
        int f = (int)(i / (o.c * ohw)), oy = (int)(p / o.w), ox = (int)(p % o.w);
        int y0, y1, x0, x1;
        frh_pool_range(oy, x.h, &y0, &y1);
        frh_pool_range(ox, x.w, &x0, &x1);
        float m = -INFINITY;
        for (int y = y0; y < y1; y++)
            for (int xx = x0; xx < x1; xx++)
                m = frh_max(m, frh_load(x.data, at(x, f, (long)y * x.w + xx, k), x.type));
        frh_store(o.data, at(o, f, p, k), o.type, m);
    }
}

__global__ void k_shuffle(frk_view x, frk_view o, int frames)
{
    long ohw = (long)o.h * o.w, n = (long)frames * ohw * o.c;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x) {
        int k = (int)(i % o.c);
        long p = (i / o.c) % ohw;
        int f = (int)(i / (o.c * ohw));
        frh_taps t = frh_shuffle_taps((int)(p / o.w), (int)(p % o.w), x.h, x.w, o.h, o.w, o.c);
        float v[4];
        for (int q = 0; q < 4; q++)
            v[q] = frh_load(x.data, at(x, f, t.pix[q], t.coff[q] + k), x.type);
        frh_store(o.data, at(o, f, p, k), o.type, frh_mean4(v[0], v[1], v[2], v[3]));
    }
}

__global__ void k_tail(frk_view c, frk_view y, frk_tail t, int frames)
{
    long hw = (long)c.h * c.w, n = (long)frames * hw * c.c;
    frh_tail ht = {t.act, t.sum_first, t.sum_last, t.scale != NULL, t.lo, t.hi};
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x) {
        int k = (int)(i % c.c);
        long p = (i / c.c) % hw;
        int f = (int)(i / (c.c * hw));
        long yi = at(y, f, p, k);
        float old = ht.sum_first || ht.sum_last ? frh_load(y.data, yi, y.type) : 0.0f;
        float v = frh_tail_apply(&ht, frh_load(c.data, at(c, f, p, k), c.type), t.bias ? t.bias[k] : 0.0f,
                                 t.scale ? t.scale[k] : 1.0f, t.shift ? t.shift[k] : 0.0f, old);
        frh_store(y.data, yi, y.type, v);
    }
}

__global__ void k_pad(frk_view x, frk_view o, int top, int left, int frames)
{
    long ohw = (long)o.h * o.w, n = (long)frames * ohw * o.c;
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x) {
        int k = (int)(i % o.c);
        long p = (i / o.c) % ohw;
        int f = (int)(i / (o.c * ohw)), yy = (int)(p / o.w) - top, xx = (int)(p % o.w) - left;
        float v = yy >= 0 && yy < x.h && xx >= 0 && xx < x.w ? frh_load(x.data, at(x, f, (long)yy * x.w + xx, k), x.type)
                                                              : 0.0f;
        frh_store(o.data, at(o, f, p, k), o.type, v);
    }
}

/* one block of THREADS lanes a row, in frh_softmax_row's order */
__global__ void k_softmax(const float *scores, void *out, int pt, int n)
{
    __shared__ float red[THREADS];
    const float *x = scores + (long)blockIdx.x * n;
    long base = (long)blockIdx.x * n;
    int t = threadIdx.x;
    float m = -INFINITY;
    for (int i = t; i < n; i += THREADS)
        m = frh_max(m, x[i]);
    red[t] = m;
    __syncthreads();
    for (int w = THREADS / 2; w > 0; w /= 2) {
        if (t < w)
            red[t] = frh_max(red[t], red[t + w]);
        __syncthreads();
    }
    float mx = red[0];
    __syncthreads();
    float s = 0;
    for (int i = t; i < n; i += THREADS)
        s += frh_softmax_exp(x[i], mx);
    red[t] = s;
    __syncthreads();
    for (int w = THREADS / 2; w > 0; w /= 2) {
        if (t < w)
            red[t] += red[t + w];
        __syncthreads();
    }
    float inv = 1.0f / red[0];
    for (int i = t; i < n; i += THREADS)
        frh_store(out, base + i, pt, frh_softmax_exp(x[i], mx) * inv);
}

long elems(const frk_view &v, int frames) { return (long)frames * v.h * v.w * v.c; }

} // namespace

extern "C" {

cudaError_t frk_input(cudaStream_t s, const float *io, frk_view o, int frames)
{
    k_input<<<blocks_for(elems(o, frames)), THREADS, 0, s>>>(io, o, frames);
    return cudaGetLastError();
}

cudaError_t frk_output(cudaStream_t s, frk_view x, float *io, int frames)
{
    k_output<<<blocks_for(elems(x, frames)), THREADS, 0, s>>>(x, io, frames);
    return cudaGetLastError();
}

cudaError_t frk_affine(cudaStream_t s, frk_view x, frk_view o, const float *scale, const float *shift, int act,
                       int frames)
{
    k_affine<<<blocks_for(elems(x, frames)), THREADS, 0, s>>>(x, o, scale, shift, act, frames);
    return cudaGetLastError();
}

cudaError_t frk_copy(cudaStream_t s, frk_view x, frk_view o, int frames)
{
    k_copy<<<blocks_for(elems(x, frames)), THREADS, 0, s>>>(x, o, frames);
    return cudaGetLastError();
}

cudaError_t frk_maxpool(cudaStream_t s, frk_view x, frk_view o, int frames)
{
    k_maxpool<<<blocks_for(elems(o, frames)), THREADS, 0, s>>>(x, o, frames);
    return cudaGetLastError();
}

cudaError_t frk_shuffle(cudaStream_t s, frk_view x, frk_view o, int frames)
{
    k_shuffle<<<blocks_for(elems(o, frames)), THREADS, 0, s>>>(x, o, frames);
    return cudaGetLastError();
}

cudaError_t frk_tail_run(cudaStream_t s, frk_view conv, frk_view y, const frk_tail *t, int frames)
{
    k_tail<<<blocks_for(elems(conv, frames)), THREADS, 0, s>>>(conv, y, *t, frames);
    return cudaGetLastError();
}

cudaError_t frk_pad(cudaStream_t s, frk_view x, frk_view o, int top, int left, int frames)
{
    k_pad<<<blocks_for(elems(o, frames)), THREADS, 0, s>>>(x, o, top, left, frames);
    return cudaGetLastError();
}

cudaError_t frk_softmax(cudaStream_t s, const float *scores, void *p, int pt, int rows, int n)
{
    if (rows <= 0 || n <= 0)
        return cudaSuccess;
    k_softmax<<<rows, THREADS, 0, s>>>(scores, p, pt, n);
    return cudaGetLastError();
}

} // extern "C"
