/* restore_dust_find.c: the dust stage's detection: the envelope of the two references around
 * each pixel, and each pixel's class against it (seed, weak, or neither; dark or bright),
 * against the warped references or, where they were misled, the frames as they are. See
 * restore_dust.c for the stage as a whole. */
#include <math.h>
#include <omp.h>

#include "restore_dust_impl.h"

/* The row minimum and maximum at x near a row's end, the taps clamped into the row. */
static inline void envelope_end(const float *plo, const float *phi, int w, int r, int x, float *lo,
                                float *hi)
{
    float b = HUGE_VALF, a = -HUGE_VALF;
    for (int k = x - r; k <= x + r; k++) {
        int kk = k < 0 ? 0 : k >= w ? w - 1 : k;
        b = plo[kk] < b ? plo[kk] : b;
        a = phi[kk] > a ? phi[kk] : a;
    }
    lo[x] = b;
    hi[x] = a;
}

/* *mnp = min(P, N), mxv = max(P, N), each then taken over a (2r+1)^2 square; an invalid
 * sample anywhere in the square makes the pixel undetectable (-inf, +inf). The minima's
 * plane ends in d->tmp, which takes *mnp's place. */
void du_envelope(dust *d, int r, const float *P, const float *N, float **mnp, float *mxv)
{
    float *mnv = *mnp;
    int w = d->w, h = d->h;
#pragma omp parallel for num_threads(d->threads) schedule(static)
    for (int y = 0; y < h; y++) {
        const float *p = P + (size_t)y * w, *n = N + (size_t)y * w;
        float *lo = mnv + (size_t)y * w, *hi = d->tmp + (size_t)y * w;
        /* each pixel's min and max of P and N (-inf, +inf where either is invalid), then
         * their minimum and maximum along the row; branch-free, so it vectorises */
        float *plo = d->rows + (size_t)2 * w * omp_get_thread_num(), *phi = plo + w;
#pragma omp simd
        for (int x = 0; x < w; x++) {
            float u = p[x], v = n[x];
            int bad = u == FR_RS_INVALID || v == FR_RS_INVALID;
            plo[x] = bad ? -HUGE_VALF : u < v ? u : v;
            phi[x] = bad ? HUGE_VALF : u < v ? v : u;
        }
        /* inside (no clamping): one tap at a time over the row, so it vectorises; the taps
         * are taken in the same order as at the ends */
#pragma omp simd
        for (int x = r; x < w - r; x++) {
            lo[x] = plo[x - r];
            hi[x] = phi[x - r];
        }
        for (int k = -r + 1; k <= r; k++) {
#pragma omp simd
            for (int x = r; x < w - r; x++) {
                lo[x] = plo[x + k] < lo[x] ? plo[x + k] : lo[x];
                hi[x] = phi[x + k] > hi[x] ? phi[x + k] : hi[x];
            }
        }
        int inner_end = w - r > r ? w - r : r;
        for (int x = 0; x < r && x < w; x++)
            envelope_end(plo, phi, w, r, x, lo, hi);
        for (int x = inner_end; x < w; x++)
            envelope_end(plo, phi, w, r, x, lo, hi);
    }
#pragma omp parallel for num_threads(d->threads) schedule(static)
    for (int y = 0; y < h; y++) {
        float *mx = mxv + (size_t)y * w;
#pragma omp simd
        for (int x = 0; x < w; x++)
            mx[x] = -HUGE_VALF;
        for (int k = y - r; k <= y + r; k++) { /* row by row, so it vectorises */
            const float *hi = d->tmp + (size_t)(k < 0 ? 0 : k >= h ? h - 1 : k) * w;
#pragma omp simd
            for (int x = 0; x < w; x++)
                mx[x] = hi[x] > mx[x] ? hi[x] : mx[x];
        }
    }
    /* vertical minimum: reads mn (horizontal minima), writes tmp (free now) then swaps */
#pragma omp parallel for num_threads(d->threads) schedule(static)
    for (int y = 0; y < h; y++) {
        float *t = d->tmp + (size_t)y * w;
#pragma omp simd
        for (int x = 0; x < w; x++)
            t[x] = HUGE_VALF;
        for (int k = y - r; k <= y + r; k++) {
            const float *lo = mnv + (size_t)(k < 0 ? 0 : k >= h ? h - 1 : k) * w;
#pragma omp simd
            for (int x = 0; x < w; x++)
                t[x] = lo[x] < t[x] ? lo[x] : t[x];
        }
    }
    *mnp = d->tmp;
    d->tmp = mnv;
}

/* One pixel's class against one pair of references p, n and their envelope lo, hi:
 * 2 seed, 1 weak, 0 neither; bit 3 (8) for dark, bit 7 (128) for a weak pixel past
 * DU_NEAR times the seed threshold. */
static inline uint8_t classify_px(float v, float p, float n, float lo, float hi, const du_frame *f)
{
    if (p == FR_RS_INVALID || n == FR_RS_INVALID)
        return 0;
    float agree = fabsf(p - n);
    int band = band_pn(f, p, n);
    float t_lo = f->tlo[band], t_hi = f->thi[band];
    float dk = lo - v, br = v - hi;
    if (dk > t_lo && agree < 0.5f * (float)((p + n) * 0.5f - v))
        return (uint8_t)((dk > t_hi ? 2 : dk > DU_NEAR * t_hi ? 1 | 128 : 1) | 8);
    if (br > t_lo && agree < 0.5f * (float)(v - (p + n) * 0.5f))
        return br > t_hi ? 2 : br > DU_NEAR * t_hi ? 1 | 128 : 1;
    return 0;
}

/* Whether the warped references disagree at a pixel by half the seed threshold (or one is
 * missing): where the flow is right they show the same thing; where a defect led it
 * astray, one shows what the flow matched it to. */
static inline int misled(float p, float n, const du_frame *f)
{
    if (p == FR_RS_INVALID || n == FR_RS_INVALID)
        return 1;
    return fabsf(p - n) > f->tlo[band_pn(f, p, n)];
}

/* Classifies every pixel (2 seed, 1 weak, 0 neither; bit 3 dark) against the warped
 * references P and N, or, where they show nothing and disagree (misled), against the two
 * frames as they are (bit 6): a defect on a still, flat picture can lead the flow there
 * astray, its patches taking their motion from some other dark or bright thing, and P or
 * N then show that thing where the defect is. du_choose_motion settles which motion a
 * region keeps. */
void du_classify(dust *d, const uint16_t *I, const du_frame *f)
{
    int w = d->w, h = d->h;
#pragma omp parallel for num_threads(d->threads) schedule(static)
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            uint8_t m = classify_px(I[i], d->p[i], d->nx[i], d->mn[i], d->mx[i], f);
            if (!m && misled(d->p[i], d->nx[i], f) &&
                (m = classify_px(I[i], d->p0[i], d->n0[i], d->mn0[i], d->mx0[i], f)) != 0)
                m = (uint8_t)((m & ~128) | 64); /* no faint regions found without motion */
            d->mask[i] = m;
        }
    }
}
