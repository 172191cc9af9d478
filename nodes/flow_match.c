/* flow_match.c: the gray-match weights behind smoothing and reference propagation
 * (flow_match.h). */
#include "flow_match.h"

#include <math.h>

float fr_match_median(const float *res, size_t n)
{
    enum { NB = 511 };
    long hist[NB] = {0}, count = 0;
    for (size_t i = 0; i < n; i++) {
        float e = res[i];
        if (e >= FR_MATCH_BAD)
            continue;
        float f = e + 255.5f; /* floor(e + 0.5) + 255, by truncation of a positive number */
        int b = f <= 0 ? 0 : (int)f;
        hist[b >= NB ? NB - 1 : b]++;
        count++;
    }
    if (count == 0)
        return 0;
    long half = (count + 1) / 2, run = 0;
    for (int b = 0; b < NB; b++) {
        run += hist[b];
        if (run >= half)
            return (float)(b - 255);
    }
    return 0;
}

void fr_match_weights(int w, int threads, const float *res, const uint8_t *bad, float m, float inv,
                      float *d2, float *hsum, float *wout)
{
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int y = 0; y < w; y++) {
        const float *e = res + (size_t)y * w;
        float *d = d2 + (size_t)y * w, *h = hsum + (size_t)y * w;
        for (int x = 0; x < w; x++) {
            float v = e[x] >= FR_MATCH_BAD ? FR_MATCH_BAD : e[x] - m;
            d[x] = v * v;
        }
        h[0] = d[2] + d[1] + d[0] + d[1] + d[2];
        h[1] = d[1] + d[0] + d[1] + d[2] + d[3];
        for (int x = 2; x < w - 2; x++)
            h[x] = d[x - 2] + d[x - 1] + d[x] + d[x + 1] + d[x + 2];
        h[w - 2] = d[w - 4] + d[w - 3] + d[w - 2] + d[w - 1] + d[w - 2];
        h[w - 1] = d[w - 3] + d[w - 2] + d[w - 1] + d[w - 2] + d[w - 3];
    }
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int y = 0; y < w; y++) {
        const float *r[5];
        for (int k = -2; k <= 2; k++) {
            int yy = y + k < 0 ? -(y + k) : y + k >= w ? 2 * w - 2 - (y + k) : y + k;
            r[k + 2] = hsum + (size_t)yy * w;
        }
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            float E = r[0][x] + r[1][x] + r[2][x] + r[3][x] + r[4][x];
            wout[i] = bad[i] ? 0.0f : expf(-E * inv);
        }
    }
}
