/* cpu_conv_tail.c: the part of a convolution's tail that oneDNN did not fuse (split
 * tails and Winograd), applied per frame from the conv's staging output into its NHWC
 * destination (from NHWC or oneDNN's blocked layouts), in the order the fused post-ops use: residual sum before the activation,
 * activation, per-channel affine, residual sum after. Each output element is written by
 * one thread; there is no reduction. */
#include <math.h>

#include "backend_cpu.h"

static inline float act(float x, fr_act a, float lo, float hi)
{
    switch (a) {
    case FR_ACT_RELU: return x > 0 ? x : 0;
    case FR_ACT_RELU6: return x < 0 ? 0 : x > 6 ? 6 : x;
    case FR_ACT_SIGMOID_RANGE: return (hi - lo) / (1.0f + expf(-x)) + lo;
    default: return x;
    }
}

void cpu_tail_run(const cpu_tail_ops *t, const float *x, int block, float *y, long hw, int C)
{
    const float *sc = t->scale, *sh = t->shift;
    int first = t->sum_first, last = t->sum_last;
    fr_act a = t->act;
    float lo = t->act_lo, hi = t->act_hi;
#pragma omp parallel for schedule(static)
    for (long p = 0; p < hw; p++) {
        float *yp = y + p * C;
        for (int ch = 0; ch < C; ch++) {
            float v = block ? x[((long)(ch / block) * hw + p) * block + ch % block] : x[p * C + ch];
            if (first)
                v += yp[ch];
            v = act(v, a, lo, hi);
            if (sc)
                v = v * sc[ch] + sh[ch];
            if (last)
                v += yp[ch];
            yp[ch] = v;
        }
    }
}
