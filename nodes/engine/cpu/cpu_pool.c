/* cpu_pool.c: 3x3 max pooling, stride 2, padding 1 (ResNet's stem), NHWC.
 * Padding never wins a max (PyTorch pads with -inf), so out-of-range taps are skipped. */
#include "backend_cpu.h"

void cpu_maxpool_run(const fr_graph *g, const fr_node *n)
{
    const fr_value *x = &g->v[n->in], *o = &g->v[n->out];
    int H = x->h, W = x->w, C = x->c, lx = x->ld, lo = o->ld, OW = o->w;
    long np = (long)o->h * o->w;
    for (int f = 0; f < g->frames; f++) {
    const float *s = fr_value_frame(x, f);
    float *d = fr_value_frame(o, f);
#pragma omp parallel for schedule(static)
    for (long p = 0; p < np; p++) {
        int oy = (int)(p / OW), ox = (int)(p % OW);
        float *dp = d + p * lo;
        int first = 1;
        for (int dy = -1; dy <= 1; dy++) {
            int y = 2 * oy + dy;
            if (y < 0 || y >= H)
                continue;
            for (int dx = -1; dx <= 1; dx++) {
                int xx = 2 * ox + dx;
                if (xx < 0 || xx >= W)
                    continue;
                const float *sp = s + ((long)y * W + xx) * lx;
                if (first) {
                    for (int k = 0; k < C; k++)
                        dp[k] = sp[k];
                    first = 0;
                } else {
                    for (int k = 0; k < C; k++)
                        dp[k] = sp[k] > dp[k] ? sp[k] : dp[k];
                }
            }
        }
    }
}
}
