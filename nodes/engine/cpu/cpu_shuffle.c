/* cpu_shuffle.c: DeOldify's upsampling tail in one pass, NHWC:
 *   PixelShuffle(2)  shuffled[2y+i][2x+j][c] = in[y][x][(2i + j) C + c] (the producing conv's
 *                    channels were reordered at load from PyTorch's 4c + 2i + j, so each
 *                    sub-pixel's C channels are contiguous)
 *   blur             replication pad (left 1, top 1) then 2x2 average, stride 1:
 *                    b[Y][X] = (s[Y-1][X-1] + s[Y-1][X] + s[Y][X-1] + s[Y][X]) / 4, indices
 *                    clamped at 0
 *   resize           when the destination is not 2H x 2W (a skip of odd size), nearest
 *                    neighbour as PyTorch computes it: src = min(floor(dst * (in/out)), in-1)
 *                    with the scale in float.
 * The destination may be a channel slice of a concatenation. The sum order matches
 * PyTorch's average pool (row by row). */
#include <math.h>

#include "backend_cpu.h"

static inline int nearest(int dst, int in, int out, float scale)
{
    if (in == out)
        return dst;
    int s = (int)floorf((float)dst * scale);
    return s < in - 1 ? s : in - 1;
}

void cpu_shuffle_run(const fr_graph *g, const fr_node *n)
{
    const fr_value *x = &g->v[n->in], *o = &g->v[n->out];
    int W = x->w, C = o->c, lx = x->ld, lo = o->ld;
    int SH = 2 * x->h, SW = 2 * x->w, OH = o->h, OW = o->w;
    float sy = (float)SH / (float)OH, sx = (float)SW / (float)OW;
    long np = (long)OH * OW;
    for (int f = 0; f < g->frames; f++) {
    const float *s = fr_value_frame(x, f);
    float *d = fr_value_frame(o, f);
#pragma omp parallel for schedule(static)
    for (long p = 0; p < np; p++) {
        int Y = nearest((int)(p / OW), SH, OH, sy), X = nearest((int)(p % OW), SW, OW, sx);
        int y0 = Y > 0 ? Y - 1 : 0, x0 = X > 0 ? X - 1 : 0;
        /* the four shuffled pixels (y0,x0) (y0,X) (Y,x0) (Y,X) */
        const float *a = s + ((long)(y0 >> 1) * W + (x0 >> 1)) * lx + (2 * (y0 & 1) + (x0 & 1)) * C;
        const float *b = s + ((long)(y0 >> 1) * W + (X >> 1)) * lx + (2 * (y0 & 1) + (X & 1)) * C;
        const float *c = s + ((long)(Y >> 1) * W + (x0 >> 1)) * lx + (2 * (Y & 1) + (x0 & 1)) * C;
        const float *e = s + ((long)(Y >> 1) * W + (X >> 1)) * lx + (2 * (Y & 1) + (X & 1)) * C;
        float *dp = d + p * lo;
        for (int k = 0; k < C; k++)
            dp[k] = (a[k] + b[k] + c[k] + e[k]) / 4.0f;
    }
    }
}
