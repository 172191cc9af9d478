/* cpu_eltwise.c: the CPU backend's per-pixel ops: input and output layout changes
 * (NCHW edge frames <-> NHWC), per-channel affine (+ activation) and copies into channel slices.
 * Each output element is written by one thread; there is no reduction. */
#include <string.h>

#include "backend_cpu.h"

static inline float act(float x, fr_act a)
{
    if (a == FR_ACT_RELU)
        return x > 0 ? x : 0;
    if (a == FR_ACT_RELU6)
        return x < 0 ? 0 : x > 6 ? 6 : x;
    return x;
}

void cpu_input_run(const fr_graph *g, const fr_node *n)
{
    const fr_value *o = &g->v[n->out];
    long hw = (long)o->h * o->w;
    int c = o->c, ld = o->ld;
    for (int f = 0; f < g->frames; f++) {
        const float *frame = (const float *)g->io_in + (size_t)f * c * hw;
        float *d = fr_value_frame(o, f);
#pragma omp parallel for schedule(static)
        for (long p = 0; p < hw; p++)
            for (int k = 0; k < c; k++)
                d[p * ld + k] = frame[k * hw + p];
    }
}

void cpu_output_run(const fr_graph *g, const fr_node *n)
{
    const fr_value *x = &g->v[n->in];
    long hw = (long)x->h * x->w;
    int c = x->c, ld = x->ld;
    for (int f = 0; f < g->frames; f++) {
        float *frame = (float *)g->io_out + (size_t)f * c * hw;
        const float *s = fr_value_frame(x, f);
#pragma omp parallel for schedule(static)
        for (long p = 0; p < hw; p++)
            for (int k = 0; k < c; k++)
                frame[k * hw + p] = s[p * ld + k];
    }
}

void cpu_affine_run(const fr_graph *g, const fr_node *n)
{
    const fr_value *x = &g->v[n->in], *o = &g->v[n->out];
    long hw = (long)x->h * x->w;
    int c = x->c, lx = x->ld, lo = o->ld;
    const float *sc = n->af->scale, *sh = n->af->shift;
    fr_act a = n->act;
    for (int f = 0; f < g->frames; f++) {
        const float *s = fr_value_frame(x, f);
        float *d = fr_value_frame(o, f);
#pragma omp parallel for schedule(static)
        for (long p = 0; p < hw; p++)
            for (int k = 0; k < c; k++)
                d[p * lo + k] = act(s[p * lx + k] * sc[k] + sh[k], a);
    }
}

void cpu_copy_run(const fr_graph *g, const fr_node *n)
{
    const fr_value *x = &g->v[n->in], *o = &g->v[n->out];
    long hw = (long)x->h * x->w;
    int c = x->c, lx = x->ld, lo = o->ld;
    for (int f = 0; f < g->frames; f++) {
        const float *s = fr_value_frame(x, f);
        float *d = fr_value_frame(o, f);
#pragma omp parallel for schedule(static)
        for (long p = 0; p < hw; p++)
            memcpy(d + p * lo, s + p * lx, sizeof(float) * c);
    }
}
