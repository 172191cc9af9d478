/* cuda_math.h: the per-element arithmetic of the CUDA backend's kernels, written once as
 * __host__ __device__ functions. cuda_kernels.cu calls them on the GPU; the CPU unit tests
 * (tests/unit/test_cuda_math.c) call the same code on the host against the naive
 * references of tests/unit/test_engine_layers.c, so every kernel's arithmetic is tested on
 * a machine without a GPU. Plain C11 as well as CUDA C++: no templates, no library calls
 * but expf.
 *
 * Storage: activations are f32, f16 (IEEE binary16) or bf16 in memory; every kernel loads
 * to float, computes in float, and rounds once to nearest-even on store. The conversions
 * are bit-exact software ones (the same bits on host and device). */
#ifndef FR_CUDA_MATH_H
#define FR_CUDA_MATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#ifdef __CUDACC__
#define FR_HD static inline __host__ __device__
#else
#define FR_HD static inline
#endif

/* storage element kinds, as fr_dtype (fr_graph.h) numbers them */
enum { FRH_F32 = 0, FRH_F16 = 1, FRH_BF16 = 2 };
/* activations, as fr_act numbers them */
enum { FRH_ACT_NONE = 0, FRH_ACT_RELU = 1, FRH_ACT_RELU6 = 2, FRH_ACT_SIGMOID_RANGE = 3 };

FR_HD uint32_t frh_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

FR_HD float frh_float(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* float -> binary16, round to nearest even; overflow to inf, NaN kept quiet */
FR_HD uint16_t frh_f16_from_f32(float f)
{
    uint32_t u = frh_bits(f), sign = (u >> 16) & 0x8000u, a = u & 0x7fffffffu;
    if (a >= 0x7f800000u) /* inf or NaN */
        return (uint16_t)(sign | 0x7c00u | (a > 0x7f800000u ? 0x200u : 0u));
    if (a >= 0x477ff000u) /* rounds to >= 65520: inf */
        return (uint16_t)(sign | 0x7c00u);
    if (a < 0x38800000u) { /* below 2^-14: subnormal half (or zero) */
        if (a < 0x33000000u) /* below half the smallest subnormal: 0 */
            return (uint16_t)sign;
        uint32_t e = a >> 23, m = (a & 0x7fffffu) | 0x800000u;
        /* the value is m 2^(e-150); in units of 2^-24 (the smallest subnormal) that is
         * m >> (126 - e), with the dropped bits deciding the rounding */
        uint32_t shift = 126u - e;
        uint32_t q = m >> shift, r = m & ((1u << shift) - 1u), half = 1u << (shift - 1);
        if (r > half || (r == half && (q & 1u)))
            q++;
        return (uint16_t)(sign | q);
    }
    uint32_t q = ((a - 0x38000000u) >> 13), r = a & 0x1fffu; /* rebias 127 -> 15 */
    if (r > 0x1000u || (r == 0x1000u && (q & 1u)))
        q++;
    return (uint16_t)(sign | q);
}

FR_HD float frh_f32_from_f16(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    if (e == 0x1f)
        return frh_float(sign | 0x7f800000u | (m << 13));
    if (e == 0) { /* zero or subnormal: m * 2^-24, exact in float */
        float v = (float)m * (1.0f / 16777216.0f);
        return sign ? -v : v;
    }
    return frh_float(sign | ((e + 112u) << 23) | (m << 13));
}

/* float -> bfloat16, round to nearest even; NaN kept quiet */
FR_HD uint16_t frh_bf16_from_f32(float f)
{
    uint32_t u = frh_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((u >> 16) | 0x40u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

FR_HD float frh_f32_from_bf16(uint16_t b) { return frh_float((uint32_t)b << 16); }

/* element i of a buffer of kind t, as float */
FR_HD float frh_load(const void *p, long i, int t)
{
    if (t == FRH_F32)
        return ((const float *)p)[i];
    uint16_t h = ((const uint16_t *)p)[i];
    return t == FRH_F16 ? frh_f32_from_f16(h) : frh_f32_from_bf16(h);
}

FR_HD void frh_store(void *p, long i, int t, float v)
{
    if (t == FRH_F32)
        ((float *)p)[i] = v;
    else
        ((uint16_t *)p)[i] = t == FRH_F16 ? frh_f16_from_f32(v) : frh_bf16_from_f32(v);
}

/* v rounded to storage kind t and back: what a store then a load gives */
FR_HD float frh_round(float v, int t)
{
    return t == FRH_F32 ? v : t == FRH_F16 ? frh_f32_from_f16(frh_f16_from_f32(v)) : frh_f32_from_bf16(frh_bf16_from_f32(v));
}

FR_HD float frh_act(float x, int act, float lo, float hi)
{
    switch (act) {
    case FRH_ACT_RELU: return x > 0 ? x : 0;
    case FRH_ACT_RELU6: return x < 0 ? 0 : x > 6 ? 6 : x;
    case FRH_ACT_SIGMOID_RANGE: return (hi - lo) / (1.0f + expf(-x)) + lo;
    default: return x;
    }
}

/* A convolution's tail in the order the CPU's fused post-ops use: bias, residual sum
 * before the activation, activation, per-channel affine, residual sum after.
 * conv: the convolution's sum; old: the destination's previous value (the residual). */
typedef struct {
    int act, sum_first, sum_last, affine;
    float lo, hi;
} frh_tail;

FR_HD float frh_tail_apply(const frh_tail *t, float conv, float bias, float scale, float shift, float old)
{
    float v = conv + bias;
    if (t->sum_first)
        v += old;
    v = frh_act(v, t->act, t->lo, t->hi);
    if (t->affine)
        v = v * scale + shift;
    if (t->sum_last)
        v += old;
    return v;
}

/* per-channel affine (+ activation): FR_OP_AFFINE */
FR_HD float frh_affine(float x, float scale, float shift, int act) { return frh_act(x * scale + shift, act, 0, 0); }

/* nearest-neighbour source index as PyTorch computes it: min(floor(dst * in/out), in-1),
 * the scale in float; the identity when in == out */
FR_HD int frh_nearest(int dst, int in, int out, float scale)
{
    if (in == out)
        return dst;
    int s = (int)floorf((float)dst * scale);
    return s < in - 1 ? s : in - 1;
}

/* The pixel shuffle + ICNR blur + nearest resize (FR_OP_SHUFFLE) for output pixel (oy, ox):
 * the four source positions (pixel index in the input frame, channel offset of the sub-pixel
 * group) whose mean is the output. Input W x H with C output channels per sub-pixel, output
 * OH x OW from a shuffled 2H x 2W. */
typedef struct {
    long pix[4];
    int coff[4];
} frh_taps;

FR_HD frh_taps frh_shuffle_taps(int oy, int ox, int H, int W, int OH, int OW, int C)
{
    int SH = 2 * H, SW = 2 * W;
    float sy = (float)SH / (float)OH, sx = (float)SW / (float)OW;
    int Y = frh_nearest(oy, SH, OH, sy), X = frh_nearest(ox, SW, OW, sx);
    int y0 = Y > 0 ? Y - 1 : 0, x0 = X > 0 ? X - 1 : 0;
    int ys[4] = {y0, y0, Y, Y}, xs[4] = {x0, X, x0, X};
    frh_taps t;
    for (int k = 0; k < 4; k++) {
        t.pix[k] = (long)(ys[k] >> 1) * W + (xs[k] >> 1);
        t.coff[k] = (2 * (ys[k] & 1) + (xs[k] & 1)) * C;
    }
    return t;
}

/* the blur's mean, summed in the CPU backend's order */
FR_HD float frh_mean4(float a, float b, float c, float d) { return (a + b + c + d) / 4.0f; }

/* 3x3 max pool, stride 2, pad 1: the input rows (or columns) [*lo, *hi) under output o */
FR_HD void frh_pool_range(int o, int n, int *lo, int *hi)
{
    int a = 2 * o - 1, b = 2 * o + 2;
    *lo = a < 0 ? 0 : a;
    *hi = b > n ? n : b;
}

/* Softmax of one row, as the kernel computes it with `lanes` threads a row: lane t takes
 * elements t, t + lanes, ...; the lanes' maxima and sums are combined by a pairwise tree
 * (lanes a power of two). frh_softmax_row runs that order on the host (the tests), the
 * kernel the same steps in parallel. */
FR_HD float frh_softmax_exp(float x, float rowmax) { return expf(x - rowmax); }

FR_HD float frh_max(float a, float b) { return a > b ? a : b; }

#ifndef __CUDACC__
/* host only: x[n] -> y[n] (y may be x); scratch holds 2 * lanes floats */
static inline void frh_softmax_row(const float *x, float *y, int n, int lanes, float *scratch)
{
    float *m = scratch, *s = scratch + lanes;
    for (int t = 0; t < lanes; t++) {
        m[t] = -INFINITY;
        for (int i = t; i < n; i += lanes)
            m[t] = frh_max(m[t], x[i]);
    }
    for (int w = lanes / 2; w > 0; w /= 2)
        for (int t = 0; t < w; t++)
            m[t] = frh_max(m[t], m[t + w]);
    float mx = m[0];
    for (int t = 0; t < lanes; t++) {
        s[t] = 0;
        for (int i = t; i < n; i += lanes)
            s[t] += frh_softmax_exp(x[i], mx);
    }
    for (int w = lanes / 2; w > 0; w /= 2)
        for (int t = 0; t < w; t++)
            s[t] += s[t + w];
    float inv = 1.0f / s[0];
    for (int i = 0; i < n; i++)
        y[i] = frh_softmax_exp(x[i], mx) * inv;
}
#endif

/* NCHW <-> NHWC: the NCHW index of channel k at pixel p of a frame of hw pixels */
FR_HD long frh_nchw_index(long p, int k, long hw) { return (long)k * hw + p; }

/* OIHW -> OHWI (cuDNN's NHWC filter layout, "KRSC") index of the same weight */
FR_HD long frh_krsc_index(int o, int i, int y, int x, int icg, int kh, int kw)
{
    return (((long)o * kh + y) * kw + x) * icg + i;
}

#endif
