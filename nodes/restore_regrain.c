/* restore_regrain.c: the regrain stage: synthetic film grain added back after restoration,
 * the same bytes on every run, rank and thread count.
 *
 * There is no random generator with state: the grain at pixel (x, y) of film frame F is a
 * counter-based hash of (F, x, y) (a SplitMix64-style finaliser of the three), so any pixel of
 * any frame can be computed alone, in any order. Four 16-bit fields of the hash are summed
 * into a near-Gaussian value (Irwin-Hall); the plane of these is blurred by [1 2 1] across
 * and down (film grain clumps a little; the variance lost is given back), and added with an
 * amplitude that depends on the pixel's brightness: strongest in the midtones, weaker in the
 * shadows and highlights, as in film. All in integers: a table of amplitudes per code value
 * (Q12) is built once at open.
 *
 * Radius 0. Strength s in (0, 1] scales the amplitude: at s = 1 the grain's standard
 * deviation in the midtones is 3% of the range. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "restore_impl.h"

typedef struct {
    int w, h, bits, threads;
    int32_t *amp;   /* per code value: grain amplitude, Q12 codes per unit of noise */
    int32_t *noise; /* w * (h + 2): unit noise, Q8, of the frame being written (and a row
                       above and below) */
    int32_t *tmp;   /* the same after the horizontal blur */
} regrain;

static int rg_radius(double strength)
{
    (void)strength;
    return 0;
}

static void rg_close(void *ctx)
{
    regrain *r = ctx;
    if (!r)
        return;
    free(r->amp);
    free(r->noise);
    free(r->tmp);
    free(r);
}

static inline uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Unit-variance grain, Q8 (256 = one standard deviation). */
static inline int32_t grain_at(int64_t frame, int x, int y)
{
    uint64_t h = mix64((uint64_t)frame * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL);
    h = mix64(h ^ ((uint64_t)(uint32_t)y << 32 | (uint32_t)x));
    int32_t s = (int32_t)(h & 0xffff) + (int32_t)((h >> 16) & 0xffff) + (int32_t)((h >> 32) & 0xffff) +
                (int32_t)(h >> 48) - 2 * 65535;
    /* the sum of four uniforms on [0, 65535] has sd 65535 * sqrt(4/12) = 37837 */
    return (int32_t)(((int64_t)s * 256) / 37837);
}

static fr_status rg_open(void **ctx, int width, int height, int bits, double strength, int threads,
                         fr_err *err)
{
    *ctx = NULL;
    if (width < 1 || height < 1 || width > 16384 || height > 16384)
        return fr_err_set(err, FR_ERR_ARG, "regrain: frame size %dx%d out of range (1x1 to 16384x16384)",
                          width, height);
    if (bits < 8 || bits > 16)
        return fr_err_set(err, FR_ERR_ARG, "regrain: %d bits is not in 8..16", bits);
    if (!(strength > 0 && strength <= 1))
        return fr_err_set(err, FR_ERR_ARG, "regrain: strength %g is not in (0, 1]", strength);
    regrain *r = calloc(1, sizeof *r);
    if (!r)
        return fr_err_set(err, FR_ERR_NOMEM, "regrain: out of memory");
    r->w = width;
    r->h = height;
    r->bits = bits;
    r->threads = fr_rs_threads(threads);
    int maxv = (1 << bits) - 1;
    r->amp = malloc(sizeof(int32_t) * (size_t)(maxv + 1));
    r->noise = malloc(sizeof(int32_t) * (size_t)width * (height + 2));
    r->tmp = malloc(sizeof(int32_t) * (size_t)width * (height + 2));
    if (!r->amp || !r->noise || !r->tmp) {
        rg_close(r);
        return fr_err_set(err, FR_ERR_NOMEM, "regrain: out of memory");
    }
    /* amplitude (codes) = s * 0.03 * range * (0.3 + 2.8 v (1 - v)), v = code / max; integers
     * from here on. The [1 2 1]^2 / 16 blur keeps 0.375^2 of the variance: scale by 1/0.375. */
    for (int v = 0; v <= maxv; v++) {
        double u = (double)v / maxv;
        double a = strength * 0.03 * maxv * (0.3 + 2.8 * u * (1 - u)) / 0.375;
        r->amp[v] = (int32_t)lrint(a * 4096.0);
    }
    *ctx = r;
    return FR_OK;
}

static fr_status rg_run(void *ctx, const fr_luma_window *in, fr_luma_window *out, fr_err *err)
{
    regrain *r = ctx;
    fr_status st;
    if ((st = fr_rs_check("regrain", r->w, r->h, r->bits, in, out, err)) != FR_OK)
        return st;
    int w = r->w, h = r->h, maxv = (1 << r->bits) - 1;
    for (int j = 0; j < in->n; j++) {
        int64_t frame = in->first_index + j;
        /* rows -1 .. h of unit noise (edge rows are real grain of rows outside, not clamped,
         * so every row's grain is the same whatever the frame height around it) */
#pragma omp parallel for num_threads(r->threads) schedule(static)
        for (int y = -1; y <= h; y++) {
            int32_t *n = r->noise + (size_t)(y + 1) * w, *t = r->tmp + (size_t)(y + 1) * w;
            for (int x = 0; x < w; x++)
                n[x] = grain_at(frame, x, y);
            for (int x = 0; x < w; x++) {
                int32_t a = x > 0 ? n[x - 1] : grain_at(frame, -1, y);
                int32_t b = x < w - 1 ? n[x + 1] : grain_at(frame, w, y);
                t[x] = a + 2 * n[x] + b;
            }
        }
        const uint16_t *I = in->frame[j];
        uint16_t *o = out->frame[j];
#pragma omp parallel for num_threads(r->threads) schedule(static)
        for (int y = 0; y < h; y++) {
            const int32_t *t0 = r->tmp + (size_t)y * w, *t1 = t0 + w, *t2 = t1 + w;
            for (int x = 0; x < w; x++) {
                size_t i = (size_t)y * w + x;
                int64_t g = (int64_t)(t0[x] + 2 * t1[x] + t2[x]); /* Q8 * 16 */
                int64_t add = g * r->amp[I[i]];                   /* Q8 * 16 * Q12 */
                int64_t d = add >= 0 ? (add + (1LL << 23)) >> 24 : -((-add + (1LL << 23)) >> 24);
                int64_t v = (int64_t)I[i] + d;
                o[i] = (uint16_t)(v < 0 ? 0 : v > maxv ? maxv : v);
            }
        }
    }
    return FR_OK;
}

const fr_restore_filter fr_restore_regrain = {
    .name = "regrain",
    .radius = rg_radius,
    .open = rg_open,
    .run = rg_run,
    .close = rg_close,
};
