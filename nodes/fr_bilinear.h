/* fr_bilinear.h: the one bilinear sampler of flow and smoothing.
 *
 * A point (x, y) is clamped into a w x h grid of pixel centres and turned into its
 * footprint (four pixel indices, two fractions), which any number of planes or channels
 * then share. The arithmetic is fixed (top = a + fx (b - a), then top + fy (bot - top)) so
 * results are the same bytes on every rank and thread count. A NaN coordinate clamps to 0.
 * Header-only: it sits in the inner loops of the flow search and the warps. */
#ifndef FR_BILINEAR_H
#define FR_BILINEAR_H

#include <stddef.h>

typedef struct {
    size_t i00, i01, i10, i11; /* (x0,y0) (x1,y0) (x0,y1) (x1,y1) */
    float fx, fy;
} fr_bilin;

static inline fr_bilin fr_bilin_at(int w, int h, float x, float y)
{
    fr_bilin b;
    float xm = (float)(w - 1), ym = (float)(h - 1);
    x = x > 0.0f ? (x < xm ? x : xm) : 0.0f;
    y = y > 0.0f ? (y < ym ? y : ym) : 0.0f;
    int x0 = (int)x, y0 = (int)y;
    int dx = x0 < w - 1, dy = y0 < h - 1;
    b.fx = x - (float)x0;
    b.fy = y - (float)y0;
    b.i00 = (size_t)y0 * (size_t)w + (size_t)x0;
    b.i01 = b.i00 + (size_t)dx;
    b.i10 = b.i00 + (size_t)dy * (size_t)w;
    b.i11 = b.i10 + (size_t)dx;
    return b;
}

/* The value at footprint b of the four corner values a (00), c (01), d (10), e (11). */
static inline float fr_bilin_mix(const fr_bilin *b, float a, float c, float d, float e)
{
    float top = a + b->fx * (c - a), bot = d + b->fx * (e - d);
    return top + b->fy * (bot - top);
}

/* Channel k of an n-channel interleaved plane p (any arithmetic type) at footprint b. */
#define FR_BILIN(p, n, k, b)                                                                      \
    fr_bilin_mix(&(b), (float)(p)[(n) * (b).i00 + (k)], (float)(p)[(n) * (b).i01 + (k)],         \
                 (float)(p)[(n) * (b).i10 + (k)], (float)(p)[(n) * (b).i11 + (k)])

#endif
