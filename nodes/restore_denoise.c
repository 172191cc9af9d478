/* restore_denoise.c: the denoise stage: grain-aware, motion-compensated temporal denoising.
 *
 * For frame j, each neighbour k within R of it (in the window) is warped onto j along the
 * flow j -> k (nodes/flow.h, restore_common.c) and matched to j in gain and offset. The
 * output is a weighted mean of j (weight 1) and the warped neighbours, in the manner of a
 * temporal non-local means whose candidates sit where the motion says: a neighbour's
 * weight at a pixel is exp(-max(D / (2 sigma^2) - 1, 0) / h2), where D is the mean squared
 * difference between j and the warped neighbour over the 3x3 patch around the pixel,
 * sigma is the grain level expected at that pixel's brightness, and h2 = 1.2 s. Where
 * the flow is right, D is about 2 sigma^2 (grain on both sides) and the neighbour counts
 * fully; where it is wrong (occlusion, a new object, a cut the shot detector missed) D
 * grows and the neighbour drops out, so nothing is smeared.
 *
 * The grain level depends on brightness (film grain is strongest in the midtones): it is
 * measured per frame as a function of luma, in 8 bands, from the robust spread of j minus
 * its warped neighbours, so the filter adapts to each film and to each frame. That spread
 * also counts what the warps got wrong (fast motion, bubbles and particles changing shape),
 * so it is bounded by twice the level measured within j (the discrete Laplacian's robust
 * spread, restore_common.c): a clean frame of a fast scene is then left nearly alone.
 *
 * A spatial pass follows: a 5x5 bilateral over the temporal mean (distance weights of a
 * Gaussian of 1.5 pixels), whose range is the grain the temporal mean left (the level over
 * the root of the weights' sum) times 1.75 s, so it smooths grain and stops at edges; where
 * the temporal mean already averaged much, it does little.
 *
 * Strength s in (0, 1]: R = 1 below 0.5, else 2; the weights' tolerance h2; the spatial
 * range. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "restore_impl.h"

#define DN_MAX_R 2
#define DN_BINS FR_RS_BINS
#define DN_LUT 1024
#define DN_LUT_SCALE 64.0f
#define DN_SR 2 /* the spatial pass's radius */
#define DN_SPATIAL_CAP 2.0 /* the grain level is at most this times the one within the frame */

typedef struct {
    int w, h, bits, threads, radius;
    double strength;
    fr_rs_motion mo;
    float *uv;
    float *warp[2 * DN_MAX_R];
    float *sq, *tmp;
    float *num, *den;
    float *sample;     /* FR_RS_NSAMPLE floats for fr_rs_noise_curve */
    float lut[DN_LUT + 1];
    float sw[(2 * DN_SR + 1) * (2 * DN_SR + 1)]; /* the spatial pass's distance weights */
    double spatial_h;                            /* its range, in grain levels left */
} denoise;

static int dn_radius(double strength) { return strength < 0.5 ? 1 : 2; }

static void dn_close(void *ctx)
{
    denoise *d = ctx;
    if (!d)
        return;
    fr_rs_motion_release(&d->mo);
    free(d->uv);
    for (int i = 0; i < 2 * DN_MAX_R; i++)
        free(d->warp[i]);
    free(d->sq);
    free(d->tmp);
    free(d->num);
    free(d->den);
    free(d->sample);
    free(d);
}

static fr_status dn_open(void **ctx, int width, int height, int bits, double strength, int threads,
                         fr_err *err)
{
    fr_status st;
    *ctx = NULL;
    if (width < 16 || height < 16 || width > 16384 || height > 16384)
        return fr_err_set(err, FR_ERR_ARG, "denoise: frame size %dx%d out of range (16x16 to 16384x16384)",
                          width, height);
    if (bits < 8 || bits > 16)
        return fr_err_set(err, FR_ERR_ARG, "denoise: %d bits is not in 8..16", bits);
    if (!(strength > 0 && strength <= 1))
        return fr_err_set(err, FR_ERR_ARG, "denoise: strength %g is not in (0, 1]", strength);
    denoise *d = calloc(1, sizeof *d);
    if (!d)
        return fr_err_set(err, FR_ERR_NOMEM, "denoise: out of memory");
    d->w = width;
    d->h = height;
    d->bits = bits;
    d->threads = fr_rs_threads(threads);
    d->strength = strength;
    d->radius = dn_radius(strength);
    if ((st = fr_rs_motion_init(&d->mo, width, height, bits, 2 * d->radius + 1, d->threads, err)) != FR_OK) {
        dn_close(d);
        return fr_err_wrap(err, "denoise");
    }
    size_t px = (size_t)width * height;
    int ok = (d->uv = malloc(sizeof(float) * 2 * (size_t)d->mo.sw * d->mo.sh)) != NULL;
    for (int i = 0; i < 2 * d->radius; i++)
        ok &= (d->warp[i] = malloc(sizeof(float) * px)) != NULL;
    ok &= (d->sq = malloc(sizeof(float) * px)) != NULL;
    ok &= (d->tmp = malloc(sizeof(float) * px)) != NULL;
    ok &= (d->num = malloc(sizeof(float) * px)) != NULL;
    ok &= (d->den = malloc(sizeof(float) * px)) != NULL;
    ok &= (d->sample = malloc(sizeof(float) * FR_RS_NSAMPLE)) != NULL;
    if (!ok) {
        dn_close(d);
        return fr_err_set(err, FR_ERR_NOMEM, "denoise: out of memory");
    }
    for (int i = 0; i <= DN_LUT; i++)
        d->lut[i] = (float)exp(-(double)i / DN_LUT_SCALE);
    for (int dy = -DN_SR; dy <= DN_SR; dy++)
        for (int dx = -DN_SR; dx <= DN_SR; dx++)
            d->sw[(dy + DN_SR) * (2 * DN_SR + 1) + dx + DN_SR] = (float)exp(-(dx * dx + dy * dy) / (2.0 * 1.5 * 1.5));
    d->spatial_h = 1.75 * strength;
    *ctx = d;
    return FR_OK;
}

/* The grain level by band: the temporal one (j against its warped neighbours), bounded by
 * DN_SPATIAL_CAP times the one measured within j, since the temporal one also counts what
 * the warps got wrong (fast motion, things changing shape): a clean frame of a fast scene
 * reads as grainy there, and would be smoothed. */
static void dn_grain(denoise *d, const uint16_t *I, int nw, double *sig)
{
    double sp[DN_BINS];
    fr_rs_noise_curve(I, d->w, d->h, d->bits, d->warp, nw, d->sample, sig);
    fr_rs_noise_spatial(I, d->w, d->h, d->bits, d->sample, sp);
    for (int b = 0; b < DN_BINS; b++)
        if (sig[b] > DN_SPATIAL_CAP * sp[b])
            sig[b] = DN_SPATIAL_CAP * sp[b];
}

static fr_status dn_run(void *ctx, const fr_luma_window *in, fr_luma_window *out, fr_err *err)
{
    denoise *d = ctx;
    fr_status st;
    if ((st = fr_rs_check("denoise", d->w, d->h, d->bits, in, out, err)) != FR_OK)
        return st;
    int n = in->n, w = d->w, h = d->h, maxv = (1 << d->bits) - 1, shift = d->bits - 3;
    fr_rs_motion_reset(&d->mo);
    float inv_h2 = (float)(1.0 / (1.2 * d->strength));
    for (int j = 0; j < n; j++) {
        const uint16_t *I = in->frame[j];
        int nw = 0;
        /* nearest first, so the noise curve comes from j +- 1 */
        for (int dist = 1; dist <= d->radius; dist++)
            for (int sgn = -1; sgn <= 1; sgn += 2) {
                int k = j + sgn * dist;
                if (k < 0 || k >= n)
                    continue;
                float *wk = d->warp[nw++];
                fr_rs_motion_flow(&d->mo, in, j, k, d->uv);
                fr_rs_warp(in->frame[k], w, h, d->uv, d->mo.sw, d->mo.sh, d->mo.f, wk, d->threads);
                double g, o;
                fr_rs_match(I, wk, w, h, &g, &o);
#pragma omp parallel for num_threads(d->threads) schedule(static)
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++) {
                        size_t i = (size_t)y * w + x;
                        if (wk[i] != FR_RS_INVALID)
                            wk[i] = (float)(g * wk[i] + o);
                    }
            }
        if (nw == 0) {
            memcpy(out->frame[j], I, sizeof(uint16_t) * (size_t)w * h);
            continue;
        }
        double sig[DN_BINS];
        dn_grain(d, I, nw, sig);
        float inv2s2[DN_BINS];
        for (int b = 0; b < DN_BINS; b++)
            inv2s2[b] = (float)(1.0 / (2.0 * sig[b] * sig[b]));
#pragma omp parallel for num_threads(d->threads) schedule(static)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                size_t i = (size_t)y * w + x;
                d->num[i] = I[i];
                d->den[i] = 1.0f;
            }
        for (int k = 0; k < nw; k++) {
            const float *wk = d->warp[k];
            /* squared differences, then a 3x3 box (horizontal into tmp, vertical into sq) */
#pragma omp parallel for num_threads(d->threads) schedule(static)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    size_t i = (size_t)y * w + x;
                    float v = wk[i], e = v == FR_RS_INVALID ? 1e30f : (float)I[i] - v;
                    d->sq[i] = v == FR_RS_INVALID ? 1e30f : e * e;
                }
#pragma omp parallel for num_threads(d->threads) schedule(static)
            for (int y = 0; y < h; y++) {
                const float *s = d->sq + (size_t)y * w;
                float *t = d->tmp + (size_t)y * w;
                for (int x = 0; x < w; x++) {
                    int a = x > 0 ? x - 1 : x, b = x < w - 1 ? x + 1 : x;
                    t[x] = s[a] + s[x] + s[b];
                }
            }
#pragma omp parallel for num_threads(d->threads) schedule(static)
            for (int y = 0; y < h; y++) {
                const float *t0 = d->tmp + (size_t)(y > 0 ? y - 1 : y) * w, *t1 = d->tmp + (size_t)y * w,
                            *t2 = d->tmp + (size_t)(y < h - 1 ? y + 1 : y) * w;
                for (int x = 0; x < w; x++) {
                    size_t i = (size_t)y * w + x;
                    float dd = (t0[x] + t1[x] + t2[x]) * (1.0f / 9.0f);
                    if (wk[i] == FR_RS_INVALID || !(dd < 1e29f))
                        continue;
                    float r = dd * inv2s2[I[i] >> shift] - 1.0f;
                    float e = (r > 0 ? r : 0) * inv_h2 * DN_LUT_SCALE;
                    if (e >= (float)DN_LUT)
                        continue;
                    float wt = d->lut[(int)e];
                    d->num[i] += wt * wk[i];
                    d->den[i] += wt;
                }
            }
        }
        /* the temporal mean, and the grain left in it (the level over the root of the
         * weights), for the spatial pass */
        float *fused = d->sq, *inv_r = d->tmp;
#pragma omp parallel for num_threads(d->threads) schedule(static)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                size_t i = (size_t)y * w + x;
                fused[i] = d->num[i] / d->den[i];
                double sr = sig[I[i] >> shift] * d->spatial_h / sqrt((double)d->den[i]);
                inv_r[i] = (float)(1.0 / (2.0 * sr * sr));
            }
        /* spatial: a 5x5 bilateral over the temporal mean, its range the grain left (the
         * same sums inside the frame without the edge clamps, then the border with them) */
        uint16_t *o = out->frame[j];
#pragma omp parallel for num_threads(d->threads) schedule(static)
        for (int y = 0; y < h; y++) {
            int inner = y >= DN_SR && y < h - DN_SR;
            for (int x = 0; x < w; x++) {
                size_t i = (size_t)y * w + x;
                float c = fused[i], k = inv_r[i] * DN_LUT_SCALE, sw = 0, sv = 0;
                if (inner && x >= DN_SR && x < w - DN_SR) {
                    const float *sp = d->sw;
                    for (int dy = -DN_SR; dy <= DN_SR; dy++) {
                        const float *row = fused + (size_t)(y + dy) * w + x;
                        for (int dx = -DN_SR; dx <= DN_SR; dx++, sp++) {
                            float v = row[dx], e = (v - c) * (v - c) * k;
                            if (e >= (float)DN_LUT)
                                continue;
                            float wt = *sp * d->lut[(int)e];
                            sw += wt;
                            sv += wt * v;
                        }
                    }
                    o[i] = fr_rs_clamp(sv / sw, maxv);
                    continue;
                }
                for (int dy = -DN_SR; dy <= DN_SR; dy++) {
                    int yy = y + dy < 0 ? 0 : y + dy >= h ? h - 1 : y + dy;
                    const float *row = fused + (size_t)yy * w;
                    for (int dx = -DN_SR; dx <= DN_SR; dx++) {
                        int xx = x + dx < 0 ? 0 : x + dx >= w ? w - 1 : x + dx;
                        float v = row[xx], e = (v - c) * (v - c) * k;
                        if (e >= (float)DN_LUT)
                            continue;
                        float wt = d->sw[(dy + DN_SR) * (2 * DN_SR + 1) + dx + DN_SR] * d->lut[(int)e];
                        sw += wt;
                        sv += wt * v;
                    }
                }
                o[i] = fr_rs_clamp(sv / sw, maxv);
            }
        }
    }
    return FR_OK;
}

const fr_restore_filter fr_restore_denoise = {
    .name = "denoise",
    .radius = dn_radius,
    .open = dn_open,
    .run = dn_run,
    .close = dn_close,
};
