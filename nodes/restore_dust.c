/* restore_dust.c: the dust stage: one-frame defects (dust, dirt, sparkle) found against the
 * motion-compensated neighbours and repaired from them.
 *
 * Frame j is compared with P and N, two other frames warped onto j along the flow
 * (nodes/flow.h on downscaled 8-bit planes, restore_common.c) and matched to j in gain and
 * offset: j-1 and j+1, or at a window's edge the two next to j on its one side (so the
 * radius is 2). Thresholds follow the grain: its level is measured per frame in 8
 * brightness bands (restore_common.c), and a band's threshold is k = 7 - 2 s times its
 * level (at least 16/255 of the range). A pixel is a seed when it lies beyond everything P
 * and N show around it (darker than the minimum of both over a small square, or brighter
 * than the maximum, by k levels: the rank-ordered-difference idea) while P and N agree
 * there; seeds grow into regions over pixels that pass half of it. A region with no seed
 * still counts when it is faint but wide: a pixel past 3/4 of the threshold, at least 5
 * pixels and 3 a side (a thin line of weak pixels is a scratch, or an edge the flow
 * shifted); having less evidence of its own, its surroundings must then be explained
 * within 1.4 grain levels rather than 1.8 (below). Such regions are found against P and N
 * only, not against the frames as they are.
 *
 * Where P and N show no defect but disagree with each other, the same test runs against
 * the two frames as they are (no motion): on a still, flat picture a defect can lead the
 * flow astray over a wide area, its patches matching some other dark or bright thing, so
 * that P or N show that thing where the defect is. A region with a seed found that way
 * keeps no motion when no motion explains the ring around it at least as well as the
 * flow's; one seeded only that way is dropped unless no motion explains it within 1.25
 * times (or, where the flow leaves the frame, within 1.5 noise levels and a code).
 *
 * A region is repaired only when all of these hold:
 *   - it is small: its box at most 12 + 20 s pixels a side, before and after the check
 *     below takes pixels in;
 *   - with the motion of its surroundings it is still a defect: the defect misleads the flow
 *     around it, so P and N are re-warped over its box with the median flow of a ring
 *     further out, and, the local brightness offset of j against them taken off, most of
 *     its pixels (at least 3) must still stand out (the region also takes in the pixels
 *     that now do);
 *   - the picture around it (within 6 pixels) is explained by the neighbours: the mean
 *     absolute residual of j from (P + N) / 2 there, its local offset removed, is at most
 *     1.8 times j's own grain (measured on j alone, spatially) plus one code (1.5 in a
 *     frame the neighbours explain poorly, below). Where the flow
 *     lost a moving object, a swarm of particles or bubbles, or where the neighbours show
 *     another moment (a repeated frame at a window's edge), the residual around a
 *     candidate is far above the grain;
 *   - it is not an object that moved: its pixels and a 2-pixel margin, unwarped, correlate
 *     (normalised cross-correlation, shifts up to 16 pixels) below 0.85 with both frames
 *     it is checked against (0.75 at a window's edge, where both lie on one side), and no
 *     shifted patch there correlates by 0.85 with its pixels and a 1-pixel ring
 *     while standing out from that ring the same way by half its contrast or more (a small
 *     particle over texture), or holds its very pixels (to within 0.6 grain levels and a
 *     code: a block a codec kept from the frame before). Dust exists in no other frame; a
 *     moving object is still somewhere near.
 * A frame that its warped neighbours explain poorly (their noise against it, over its own
 * grain or 1.5 levels if more, from 1.3 to 1.6: water with bubbles, particles, a clip whose
 * every frame is another moment) holds one-frame events that are picture: highlights,
 * bright. A bright region there needs more evidence: the correlation that finds it
 * elsewhere falls from 0.85 towards 0.5, the residual allowed around it from 1.8 grain
 * levels towards 1.5. Some bright dust in such frames is then left; dark regions keep the
 * usual terms. And there a region of either sign must go at least 0.45 of the way from what
 * the neighbours show towards white (bright) or black (dark), at its peak: dirt and dust
 * block the light, so they go most of the way, while a bubble, a fleck of spray or a
 * speck of the scene in such a frame changes the level by less (a faint one-frame change in
 * a well explained frame is still taken: there little else makes one).
 * What lies inside a region counts too. Dust and dirt sit on the film and hide its grain;
 * the picture's own one-frame events (a bubble, a glint) carry it. Where the region has an
 * inside (core pixels, those at least half as far from the neighbours as its peak, whose 8
 * neighbours are core too), the grain measured there (as j's own grain, below) is
 * evidence: under 0.6 of j's grain over 6 pixels or more (under 0.3 over 3 to 5), the region
 * is flat, a defect's, and keeps the usual terms in a frame explained poorly, with a
 * residual of up to 3 grain levels allowed around it (a defect beside motion the flow
 * follows badly); over 0.9 of it, over 3 pixels or more, a bright region in a frame
 * explained poorly is picture and left.
 * The region, and the margin where it still deviates the same way by 3 grain levels, takes
 * the mean of the trusted neighbours plus the local offset: a side is not trusted where its
 * flow fails on a ring 2..4 pixels outside the box, or where it differs around the defect
 * (a defect of that neighbour); when neither is, both are used. Windows under 3 frames are
 * left as they are.
 *
 * Radius 2. Strength s in (0, 1] lowers the threshold (from 6.8 to 5 grain levels) and
 * allows larger regions. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "fr_bilinear.h"
#include "restore_impl.h"

#define DU_SEARCH 16     /* how far (pixels) a moving object is looked for in the frames around */
#define DU_NCC 0.85      /* the correlation that says it was found there */
#define DU_NCC_EDGE 0.75 /* the same at a window's edge, where both references lie on one side */
#define DU_COPY 0.6      /* mean |difference| (grain levels + 1 code) of a blob copied from a neighbour */
#define DU_EXPLAINED 1.8 /* residual around a defect allowed, in spatial grain levels (+ 1 code) */
#define DU_GRID 3        /* step of the grid the spatial grain is measured on */
#define DU_LAPLACE_NOISE (4.0 * sqrt(1.25)) /* fr_rs_laplace's spread over one pixel's noise */
#define DU_FLOOR 16.0    /* lowest threshold, in 8-bit levels (material without grain) */
#define DU_MIN_PIXELS 3  /* smaller regions are grain, not dust */
#define DU_RING_IN 2
#define DU_RING_OUT 4
#define DU_FLOW_IN 9  /* the ring (in flow pixels) whose median motion replaces a defect's own */
#define DU_FLOW_OUT 11
#define DU_ACT 6      /* how far around a defect its surroundings are looked at */
#define DU_STILL_GATE 1.25 /* found only without motion: its ring's error, at most this x the flow's */
#define DU_STILL_GRAIN 1.5 /* where the flow leaves the frame: at most this many noise levels + a code */
#define DU_NEAR 0.75f        /* a region with no seed: one pixel past this x the seed threshold, */
#define DU_FAINT_PIXELS 5    /* at least this many pixels */
#define DU_FAINT_SIDE 3      /* and at least this many a side (a thin line is a scratch or a shifted edge) */
#define DU_EXPLAINED_FAINT 1.4 /* DU_EXPLAINED for such a faint region: less evidence of its own */
#define DU_GROW 2     /* margin of the pixels matched and repaired around a region */
/* A frame explained poorly (above): as its noise against the warped neighbours over its own
 * grain rises from DU_LOOSE_LO to DU_LOOSE_HI, a bright region's correlation threshold falls
 * from DU_NCC to DU_NCC_LOOSE and its allowed residual from DU_EXPLAINED to DU_EXPLAINED_LOOSE */
#define DU_LOOSE_LO 1.3
#define DU_LOOSE_HI 1.6
#define DU_LOOSE_FLOOR 1.5 /* the grain in that ratio is at least this many 8-bit levels: on a
                            * grainless picture a level or two of difference is no poor match */
#define DU_NCC_LOOSE 0.5
#define DU_EXPLAINED_LOOSE 1.5
#define DU_REACH_LOOSE 0.45 /* and any region there reaches this far towards white or black */
/* The grain inside a region (core_grain) against j's own: under DU_FLAT with DU_FLAT_PIXELS
 * or more inside, or under DU_FLAT_FEW with fewer (DU_GRAINY_PIXELS at least), it is flat
 * (dust hides the film's grain; DU_EXPLAINED_FLAT is then allowed around it); over
 * DU_GRAINY with DU_GRAINY_PIXELS or more, it is grainy (picture: a bright one in a frame
 * explained poorly is left). Fewer pixels must be flatter, since a few pixels of grain can
 * measure low by chance (3 independent ones fall under 0.6 of their level about one time in
 * 5, under 0.3 one time in 30), while dust that hides most of the grain does not measure high */
#define DU_FLAT_PIXELS 6
#define DU_GRAINY_PIXELS 3
#define DU_FLAT 0.6
#define DU_FLAT_FEW 0.3
#define DU_GRAINY 0.9
#define DU_EXPLAINED_FLAT 3.0

typedef struct {
    int w, h, bits, threads;
    double strength;
    int maxside;
    fr_rs_motion mo;
    float *uv, *uv2, *p, *nx, *mn, *mx, *tmp;
    float *p0, *n0, *mn0, *mx0; /* the same without motion: the two frames as they are */
    float *rows;                /* 2 * w floats a thread: envelope's per-pixel minima and maxima */
    uint8_t *mask;     /* 0 none, 1 weak, 2 seed; bits: 4 visited, 8 dark, 16 and 32 the region
                        * in hand, 64 found only without motion, 128 weak but past DU_NEAR of
                        * the seed threshold */
    int32_t *stack;
    int32_t *region;   /* pixels of the region being grown */
    float *sample;     /* FR_RS_NSAMPLE floats for fr_rs_noise_curve */
} dust;

static int du_radius(double strength)
{
    (void)strength;
    return 2;
}

static void du_close(void *ctx)
{
    dust *d = ctx;
    if (!d)
        return;
    fr_rs_motion_release(&d->mo);
    free(d->uv);
    free(d->uv2);
    free(d->p);
    free(d->nx);
    free(d->mn);
    free(d->mx);
    free(d->tmp);
    free(d->p0);
    free(d->n0);
    free(d->mn0);
    free(d->mx0);
    free(d->rows);
    free(d->mask);
    free(d->stack);
    free(d->region);
    free(d->sample);
    free(d);
}

static fr_status du_open(void **ctx, int width, int height, int bits, double strength, int threads,
                         fr_err *err)
{
    fr_status st;
    *ctx = NULL;
    if (width < 16 || height < 16 || width > 16384 || height > 16384)
        return fr_err_set(err, FR_ERR_ARG, "dust: frame size %dx%d out of range (16x16 to 16384x16384)",
                          width, height);
    if (bits < 8 || bits > 16)
        return fr_err_set(err, FR_ERR_ARG, "dust: %d bits is not in 8..16", bits);
    if (!(strength > 0 && strength <= 1))
        return fr_err_set(err, FR_ERR_ARG, "dust: strength %g is not in (0, 1]", strength);
    dust *d = calloc(1, sizeof *d);
    if (!d)
        return fr_err_set(err, FR_ERR_NOMEM, "dust: out of memory");
    d->w = width;
    d->h = height;
    d->bits = bits;
    d->threads = fr_rs_threads(threads);
    d->strength = strength;
    d->maxside = 12 + (int)lrint(20 * strength);
    if ((st = fr_rs_motion_init(&d->mo, width, height, bits, 3, d->threads, err)) != FR_OK) {
        du_close(d);
        return fr_err_wrap(err, "dust");
    }
    size_t px = (size_t)width * height;
    d->uv = malloc(sizeof(float) * 2 * (size_t)d->mo.sw * d->mo.sh);
    d->uv2 = malloc(sizeof(float) * 2 * (size_t)d->mo.sw * d->mo.sh);
    d->p = malloc(sizeof(float) * px);
    d->nx = malloc(sizeof(float) * px);
    d->mn = malloc(sizeof(float) * px);
    d->mx = malloc(sizeof(float) * px);
    d->tmp = malloc(sizeof(float) * px);
    d->p0 = malloc(sizeof(float) * px);
    d->n0 = malloc(sizeof(float) * px);
    d->mn0 = malloc(sizeof(float) * px);
    d->mx0 = malloc(sizeof(float) * px);
    d->rows = malloc(sizeof(float) * 2 * (size_t)width * (size_t)d->threads);
    d->mask = malloc(px);
    d->stack = malloc(sizeof(int32_t) * px);
    d->region = malloc(sizeof(int32_t) * px);
    d->sample = malloc(sizeof(float) * FR_RS_NSAMPLE);
    if (!d->uv || !d->uv2 || !d->p || !d->nx || !d->mn || !d->mx || !d->tmp || !d->p0 || !d->n0 || !d->mn0 ||
        !d->mx0 || !d->rows || !d->mask || !d->stack || !d->region || !d->sample) {
        du_close(d);
        return fr_err_set(err, FR_ERR_NOMEM, "dust: out of memory");
    }
    *ctx = d;
    return FR_OK;
}

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
static void envelope(dust *d, int r, const float *P, const float *N, float **mnp, float *mxv)
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

typedef struct {
    double gp, op, gn, on, sigma;
    double grain;                           /* j's own grain level (spatial_grain) */
    double loose;                           /* 0..1: how far j is from being explained (DU_LOOSE_LO) */
    float thi[FR_RS_BINS], tlo[FR_RS_BINS]; /* the thresholds by the neighbours' brightness */
    int shift;                              /* code >> shift = brightness band */
} du_frame;

static inline int band_of(const du_frame *f, double v)
{
    int b = (int)v >> f->shift;
    return b < 0 ? 0 : b >= FR_RS_BINS ? FR_RS_BINS - 1 : b;
}

static float comp(float v, double g, double o) { return v == FR_RS_INVALID ? v : (float)(g * v + o); }

/* The brightness band of the references' mean (p + n) / 2. */
static inline int band_pn(const du_frame *f, float p, float n)
{
    int band = (int)((p + n) * 0.5f) >> f->shift;
    return band < 0 ? 0 : band >= FR_RS_BINS ? FR_RS_BINS - 1 : band;
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
 * N then show that thing where the defect is. choose_motion settles which motion a
 * region keeps. */
static void classify(dust *d, const uint16_t *I, const du_frame *f)
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

static double ring_err(const dust *d, const uint16_t *I, const float *q, int x0, int y0, int x1, int y1)
{
    int w = d->w, h = d->h;
    double s = 0;
    long n = 0;
    for (int y = y0 - DU_RING_OUT; y <= y1 + DU_RING_OUT; y++) {
        if (y < 0 || y >= h)
            continue;
        for (int x = x0 - DU_RING_OUT; x <= x1 + DU_RING_OUT; x++) {
            if (x < 0 || x >= w)
                continue;
            if (x >= x0 - DU_RING_IN + 1 && x <= x1 + DU_RING_IN - 1 && y >= y0 - DU_RING_IN + 1 &&
                y <= y1 + DU_RING_IN - 1)
                continue;
            size_t i = (size_t)y * w + x;
            if (q[i] == FR_RS_INVALID)
                return HUGE_VAL;
            if (d->mask[i] & 3) /* other defects near it say nothing of the flow */
                continue;
            s += fabs((double)I[i] - q[i]);
            n++;
        }
    }
    return n >= 8 ? s / n : HUGE_VAL;
}

/* The defect itself misleads the flow around it (its patches match nothing), so the warped
 * neighbour q is redone over the box [bx0, bx1] x [by0, by1] with one motion: the median of
 * the flow uv on a ring of flow pixels DU_FLOW_IN..DU_FLOW_OUT outside the defect's box
 * [x0, x1] x [y0, y1], far enough for the flow's patches not to have seen the defect. */
static void rewarp(const dust *d, const uint16_t *src, const float *uv, double g, double o, float *q,
                   int x0, int y0, int x1, int y1, int bx0, int by0, int bx1, int by1)
{
    int f = d->mo.f, sw = d->mo.sw, sh = d->mo.sh, w = d->w, h = d->h;
    int sx0 = x0 / f, sy0 = y0 / f, sx1 = x1 / f, sy1 = y1 / f;
    float us[1024], vs[1024];
    int k = 0;
    for (int y = sy0 - DU_FLOW_OUT; y <= sy1 + DU_FLOW_OUT; y++)
        for (int x = sx0 - DU_FLOW_OUT; x <= sx1 + DU_FLOW_OUT; x++) {
            if (x < 0 || y < 0 || x >= sw || y >= sh || k >= 1024)
                continue;
            int dx = x < sx0 ? sx0 - x : x > sx1 ? x - sx1 : 0, dy = y < sy0 ? sy0 - y : y > sy1 ? y - sy1 : 0;
            int dd = dx > dy ? dx : dy;
            if (dd < DU_FLOW_IN)
                continue;
            us[k] = uv[2 * ((size_t)y * sw + x)];
            vs[k++] = uv[2 * ((size_t)y * sw + x) + 1];
        }
    if (k < 8)
        return;
    float U = (float)f * fr_rs_median(us, k), V = (float)f * fr_rs_median(vs, k);
    for (int y = by0 < 0 ? 0 : by0; y <= by1 && y < h; y++)
        for (int x = bx0 < 0 ? 0 : bx0; x <= bx1 && x < w; x++) {
            float px = (float)x + U, py = (float)y + V;
            size_t i = (size_t)y * w + x;
            if (!(px > -0.5f && px < (float)w - 0.5f && py > -0.5f && py < (float)h - 0.5f)) {
                q[i] = FR_RS_INVALID;
                continue;
            }
            fr_bilin b = fr_bilin_at(w, h, px, py);
            q[i] = (float)(g * FR_BILIN(src, 1, 0, b) + o);
        }
}

/* For a region seeded against the frames as they are: over the box [bx0, bx1] x
 * [by0, by1], the references keep the motion rewarp gave them (P, N) or take none (p0, n0),
 * whichever explains the ring around the defect's box [x0, x1] x [y0, y1] better (ring_err
 * of both sides; none when equal, or when the moved ones leave the frame and none explains
 * it within DU_STILL_GRAIN noise levels). A region seeded only that way (still_only) is
 * dropped (-1) unless no motion explains its ring nearly as well as the flow's
 * (DU_STILL_GATE): on a moving picture, it is the motion it missed. Returns 1 when no
 * motion was taken, 0 when the flow's was kept. */
static int choose_motion(dust *d, const uint16_t *I, int x0, int y0, int x1, int y1, int bx0, int by0, int bx1,
                         int by1, int still_only, double sigma)
{
    double q = (double)(1 << (d->bits - 8));
    double moved = ring_err(d, I, d->p, x0, y0, x1, y1) + ring_err(d, I, d->nx, x0, y0, x1, y1);
    double still = ring_err(d, I, d->p0, x0, y0, x1, y1) + ring_err(d, I, d->n0, x0, y0, x1, y1);
    int use_still;
    if (moved == HUGE_VAL) {
        use_still = still <= 2 * (DU_STILL_GRAIN * sigma + q);
        if (!use_still)
            return still_only ? -1 : 0;
    } else {
        if (still_only && !(still <= DU_STILL_GATE * moved))
            return -1;
        use_still = still <= moved;
        if (!use_still)
            return 0;
    }
    for (int y = by0 < 0 ? 0 : by0; y <= by1 && y < d->h; y++)
        for (int x = bx0 < 0 ? 0 : bx0; x <= bx1 && x < d->w; x++) {
            size_t i = (size_t)y * d->w + x;
            d->p[i] = d->p0[i];
            d->nx[i] = d->n0[i];
        }
    return 1;
}

/* How the region (n pixels) was seeded (its seeds, or for a faint region its pixels near
 * one): bit 0, against P and N; bit 1, against the frames as they are. */
static int seeded_how(const dust *d, int n)
{
    int how = 0;
    for (int i = 0; i < n; i++) {
        uint8_t m = d->mask[d->region[i]];
        if ((m & 3) == 2 || (m & 128))
            how |= m & 64 ? 2 : 1;
    }
    return how;
}

/* Grain level of frame I from its own pixels, in codes: the robust spread (1.4826 * MAD)
 * of a 4-neighbour Laplacian over a sparse grid, scaled to one pixel's noise (white noise
 * gives a Laplacian residual of sqrt(1.25) of it). Texture and edges are rare enough on the
 * grid for the median to pass them over; a clip without grain gives a small level, whatever
 * its motion, which is what the test below wants. buf holds (w / 3) * (h / 3) floats. Serial. */
static double spatial_grain(const uint16_t *I, int w, int h, float *buf)
{
    int n = 0;
    for (int y = 1; y < h - 1; y += DU_GRID)
        for (int x = 1; x < w - 1; x += DU_GRID) {
            size_t i = (size_t)y * w + x;
            buf[n++] = (float)fr_rs_laplace(I, w, i);
        }
    if (n < 16)
        return 0;
    float med = fr_rs_median(buf, n);
    for (int i = 0; i < n; i++)
        buf[i] = fabsf(buf[i] - med);
    return 1.4826 * fr_rs_median(buf, n) / DU_LAPLACE_NOISE;
}

/* Mean |I - (P + N) / 2| over the box [bx0, bx1] x [by0, by1], the defect (mask bits 16
 * and 32) and invalid samples left out: how well the neighbours explain the picture around
 * it. Pure grain gives about one grain level; where the flow lost a moving object, a swarm
 * of particles or a frame that shows another moment (a repeated frame at a window's edge),
 * much more. */
static double local_residual(const dust *d, const uint16_t *I, int bx0, int by0, int bx1, int by1, double *offset)
{
    double mean = 0, a = 0;
    long n = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (int y = by0; y <= by1; y++)
            for (int x = bx0; x <= bx1; x++) {
                size_t k = (size_t)y * d->w + x;
                if ((d->mask[k] & (16 | 32)) || d->p[k] == FR_RS_INVALID || d->nx[k] == FR_RS_INVALID)
                    continue;
                double r = (double)I[k] - 0.5 * ((double)d->p[k] + d->nx[k]);
                if (pass == 0) {
                    mean += r;
                    n++;
                } else {
                    a += fabs(r - mean);
                }
            }
        if (!n)
            return HUGE_VAL;
        if (pass == 0)
            mean /= n;
    }
    *offset = mean;
    return a / n;
}

/* Best normalised cross-correlation between the pixels idx (m of them) of frame a and frame
 * b shifted by up to range pixels each way (every shift that stays inside b): 1 where b
 * shows the same pattern, whatever its brightness and contrast. Integer sums, serial. */
static double best_ncc(const uint16_t *a, const uint16_t *b, int w, int h, const int32_t *idx, int m, int range)
{
    int x0 = w, y0 = h, x1 = -1, y1 = -1;
    int64_t sa = 0, saa = 0;
    for (int i = 0; i < m; i++) {
        int x = idx[i] % w, y = idx[i] / w;
        x0 = x < x0 ? x : x0;
        x1 = x > x1 ? x : x1;
        y0 = y < y0 ? y : y0;
        y1 = y > y1 ? y : y1;
        sa += a[idx[i]];
        saa += (int64_t)a[idx[i]] * a[idx[i]];
    }
    double va = (double)m * (double)saa - (double)sa * (double)sa, best = -1;
    if (va <= 0)
        return 1; /* flat: nothing to tell it from */
    for (int dy = -range; dy <= range; dy++)
        for (int dx = -range; dx <= range; dx++) {
            if (x0 + dx < 0 || y0 + dy < 0 || x1 + dx >= w || y1 + dy >= h)
                continue;
            const uint16_t *bs = b + (ptrdiff_t)dy * w + dx;
            int64_t sb = 0, sbb = 0, sab = 0;
            for (int i = 0; i < m; i++) {
                int64_t u = a[idx[i]], v = bs[idx[i]];
                sb += v;
                sbb += v * v;
                sab += u * v;
            }
            double vb = (double)m * (double)sbb - (double)sb * (double)sb;
            if (vb <= 0)
                continue;
            double c = ((double)m * (double)sab - (double)sa * (double)sb) / sqrt(va * vb);
            if (c > best)
                best = c;
        }
    return best;
}

/* Whether frame b, shifted by up to range pixels, shows the blob of frame a: the core
 * stands out from the ring the same way (sign sg) by at least half as much, and either its
 * pixels (core, nc of them) and a 1-pixel ring (ring, nr) correlate by DU_NCC or more (a
 * small object over texture that a 2-pixel margin would drown), or the core's pixels are
 * the same to within copy_tol on average (a codec that kept a block of the frame before
 * while the picture around it moved on). Integer sums, serial. */
static int blob_near(const uint16_t *a, const uint16_t *b, int w, int h, const int32_t *core, int nc,
                     const int32_t *ring, int nr, int sg, int range, double copy_tol)
{
    int x0 = w, y0 = h, x1 = -1, y1 = -1, m = nc + nr;
    int64_t sa = 0, saa = 0, ca = 0;
    for (int i = 0; i < m; i++) {
        int32_t k = i < nc ? core[i] : ring[i - nc];
        int x = k % w, y = k / w;
        x0 = x < x0 ? x : x0;
        x1 = x > x1 ? x : x1;
        y0 = y < y0 ? y : y0;
        y1 = y > y1 ? y : y1;
        sa += a[k];
        saa += (int64_t)a[k] * a[k];
        if (i < nc)
            ca += a[k];
    }
    double va = (double)m * (double)saa - (double)sa * (double)sa;
    /* the core's contrast against the ring, times nc * nr */
    double c0 = sg * ((double)ca * nr - (double)(sa - ca) * nc);
    if (va <= 0 || c0 <= 0 || nr == 0)
        return 0;
    for (int dy = -range; dy <= range; dy++)
        for (int dx = -range; dx <= range; dx++) {
            if (x0 + dx < 0 || y0 + dy < 0 || x1 + dx >= w || y1 + dy >= h)
                continue;
            const uint16_t *bs = b + (ptrdiff_t)dy * w + dx;
            int64_t sb = 0, sbb = 0, sab = 0, cb = 0, sad = 0;
            for (int i = 0; i < m; i++) {
                int32_t k = i < nc ? core[i] : ring[i - nc];
                int64_t u = a[k], v = bs[k];
                sb += v;
                sbb += v * v;
                sab += u * v;
                if (i < nc) {
                    cb += v;
                    sad += u > v ? u - v : v - u;
                }
            }
            double vb = (double)m * (double)sbb - (double)sb * (double)sb;
            if (vb <= 0 || sg * ((double)cb * nr - (double)(sb - cb) * nc) < 0.5 * c0)
                continue;
            if ((double)sad <= copy_tol * nc) /* the same pixels: copied, not dust */
                return 1;
            if ((double)m * (double)sab - (double)sa * (double)sb >= DU_NCC * sqrt(va * vb))
                return 1;
        }
    return 0;
}

/* A moving object the flow lost is still somewhere near in the two frames j is checked
 * against, unwarped: the defect's pixels and margin (idx) correlate with a shifted patch
 * there (by DU_NCC, lowered towards DU_NCC_LOOSE as loose goes from 0 to 1, and at most
 * DU_NCC_EDGE at a window's edge), or its blob (core and ring) is found there. Dust, in one
 * frame only, is in neither. */
static int found_elsewhere(const fr_luma_window *in, int j, int ra, int rb, int w, int h, const int32_t *idx,
                           int m, const int32_t *core, int nc, const int32_t *ring, int nr, int sg,
                           double copy_tol, double loose)
{
    int ref[2] = {ra, rb};
    double thr = DU_NCC - (DU_NCC - DU_NCC_LOOSE) * loose;
    if ((j == 0 || j == in->n - 1) && thr > DU_NCC_EDGE)
        thr = DU_NCC_EDGE;
    for (int k = 0; k < 2; k++)
        if (best_ncc(in->frame[j], in->frame[ref[k]], w, h, idx, m, DU_SEARCH) >= thr ||
            blob_near(in->frame[j], in->frame[ref[k]], w, h, core, nc, ring, nr, sg, DU_SEARCH, copy_tol))
            return 1;
    return 0;
}

/* With the defect's own motion (P and N re-warped), it is found again over its box
 * [bx0, bx1] x [by0, by1]: bit 32 marks the pixels that stand out the same way (the flow it
 * misled may have hidden some), and those touching the region (n pixels, bit 16 set here)
 * join it. Returns the region's new size. */
static int regrow(dust *d, const uint16_t *I, const du_frame *f, uint8_t pol, int n, int bx0, int by0, int bx1,
                  int by1)
{
    int w = d->w;
    for (int y = by0; y <= by1; y++)
        for (int x = bx0; x <= bx1; x++) {
            size_t k = (size_t)y * w + x;
            float p = d->p[k], q = d->nx[k];
            if (p == FR_RS_INVALID || q == FR_RS_INVALID)
                continue;
            double avg = 0.5 * ((double)p + q), lo = p < q ? p : q, hi = p < q ? q : p;
            double dev = pol ? lo - I[k] : I[k] - hi;
            if (dev > f->tlo[band_of(f, avg)] && fabs((double)p - q) < 0.5 * fabs(avg - I[k]))
                d->mask[k] |= 32;
        }
    for (int i = 0; i < n; i++)
        d->mask[d->region[i]] |= 16;
    for (int i = 0; i < n; i++) { /* n grows as the flood goes */
        int x = d->region[i] % w, y = d->region[i] / w;
        for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++) {
                int xx = x + dx, yy = y + dy;
                if (xx < bx0 || yy < by0 || xx > bx1 || yy > by1)
                    continue;
                size_t k = (size_t)yy * w + xx;
                if ((d->mask[k] & 32) && !(d->mask[k] & 16)) {
                    d->mask[k] |= 16;
                    d->region[n++] = (int32_t)k;
                }
            }
    }
    return n;
}

/* |I - (P + N) / 2| at pixel k: how far j stands from its neighbours there; -1 where a
 * warped neighbour fell outside its source. */
static double apart(const dust *d, const uint16_t *I, int32_t k)
{
    if (d->p[k] == FR_RS_INVALID || d->nx[k] == FR_RS_INVALID)
        return -1.0;
    return fabs((double)I[k] - 0.5 * ((double)d->p[k] + d->nx[k]));
}

/* The grain inside the region (n pixels, bit 16), measured as spatial_grain measures j's:
 * the RMS of the 4-neighbour Laplacian over the region's inside, scaled to one pixel's
 * noise. The inside is the core (pixels at least half as far from (P + N) / 2 as the
 * region's peak) less its edge: core pixels whose 8 neighbours are core too, so the blob's
 * own slope is left out. Sets *inside to how many pixels that is; returns -1 when none. */
static double core_grain(const dust *d, const uint16_t *I, int n, int *inside)
{
    int w = d->w, h = d->h, m = 0;
    double peak = 0, sum = 0;
    for (int i = 0; i < n; i++)
        peak = fmax(peak, apart(d, I, d->region[i]));
    for (int i = 0; i < n; i++) {
        int32_t k = d->region[i];
        int x = k % w, y = k / w, in = x > 0 && y > 0 && x < w - 1 && y < h - 1;
        for (int dy = -1; dy <= 1 && in; dy++)
            for (int dx = -1; dx <= 1 && in; dx++) {
                int32_t c = k + dy * w + dx;
                in = (d->mask[c] & 16) && apart(d, I, c) >= 0.5 * peak;
            }
        if (!in)
            continue;
        double l = fr_rs_laplace(I, w, (size_t)k);
        sum += l * l;
        m++;
    }
    *inside = m;
    return m ? sqrt(sum / m) / DU_LAPLACE_NOISE : -1.0;
}

/* Whether the region (n pixels), grown past its first box [x0, x1] x [y0, y1], is now
 * larger than a defect may be. */
static int too_big(const dust *d, int n, int x0, int y0, int x1, int y1)
{
    for (int i = 0; i < n; i++) {
        int x = d->region[i] % d->w, y = d->region[i] / d->w;
        x0 = x < x0 ? x : x0;
        x1 = x > x1 ? x : x1;
        y0 = y < y0 ? y : y0;
        y1 = y > y1 ? y : y1;
    }
    return x1 - x0 >= d->maxside || y1 - y0 >= d->maxside;
}

/* With the defect's own motion and the local offset taken off, it must still be one: at
 * least DU_MIN_PIXELS, most of it beyond the low threshold from the neighbours' mean, some
 * of it beyond the high one. */
static int still_defect(const dust *d, const uint16_t *I, const du_frame *f, uint8_t pol, int n, double off)
{
    int low = 0, high = 0;
    for (int i = 0; i < n; i++) {
        size_t k = (size_t)d->region[i];
        float p = d->p[k], q = d->nx[k];
        if (p == FR_RS_INVALID || q == FR_RS_INVALID)
            continue;
        double dv = (double)I[k] - 0.5 * ((double)p + q) - off;
        int band = band_of(f, 0.5 * ((double)p + q));
        if (pol)
            dv = -dv;
        low += dv > f->tlo[band];
        high += dv > f->thi[band];
    }
    return n >= DU_MIN_PIXELS && 2 * low >= n && high > 0;
}

/* How far the region (n pixels) goes at its peak from (P + N) / 2 plus the local offset
 * towards the range's white (bright) or black (dark, pol set), as a share of the way there;
 * 1 where the neighbours already show white or black. */
static double reach(const dust *d, const uint16_t *I, uint8_t pol, int n, double off, int full_range)
{
    double black, white, peak = 0, room = 0;
    fr_rs_range(d->bits, full_range, &black, &white);
    for (int i = 0; i < n; i++) {
        size_t k = (size_t)d->region[i];
        float p = d->p[k], q = d->nx[k];
        if (p == FR_RS_INVALID || q == FR_RS_INVALID)
            continue;
        double ref = 0.5 * ((double)p + q) + off, dv = pol ? ref - I[k] : I[k] - ref;
        if (dv > peak) {
            peak = dv;
            room = pol ? ref - black : white - ref;
        }
    }
    return room >= 1.0 ? peak / room : 1.0;
}

/* Around the defect (its box, less the defect, its margin and the rest of it split off or
 * below the seed level): how many pixels differ from P (act_p), from N (act_n) by the high
 * threshold, and how many may (allow). A defect of a neighbour nearby differs from that
 * side only, which then does not take part in the repair. */
static void around(const dust *d, const uint16_t *I, const du_frame *f, uint8_t pol, int bx0, int by0, int bx1,
                   int by1, long *act_p, long *act_n, long *allow)
{
    int w = d->w, h = d->h;
    long tot = 0;
    for (int y = by0; y <= by1; y++)
        for (int x = bx0; x <= bx1; x++) {
            int near = 0;
            for (int dy = -DU_GROW; dy <= DU_GROW && !near; dy++)
                for (int dx = -DU_GROW; dx <= DU_GROW && !near; dx++) {
                    int xx = x + dx, yy = y + dy;
                    near = xx >= 0 && yy >= 0 && xx < w && yy < h && (d->mask[(size_t)yy * w + xx] & 16);
                }
            size_t k = (size_t)y * w + x;
            if (near || (d->mask[k] & 32) || ((d->mask[k] & 3) && (d->mask[k] & 8) == pol))
                continue;
            float p = d->p[k], q = d->nx[k];
            tot++;
            *act_p += p == FR_RS_INVALID || fabs((double)I[k] - p) > f->thi[band_of(f, p)];
            *act_n += q == FR_RS_INVALID || fabs((double)I[k] - q) > f->thi[band_of(f, q)];
        }
    *allow = 2 + tot / 50;
}

/* The pixels to match and to repair, into d->stack: the region (bit 16) grown by DU_GROW
 * pixels. Returns how many, or 0 when one of them lies outside a warped neighbour. */
static int grown(dust *d, int x0, int y0, int x1, int y1)
{
    int w = d->w, h = d->h, m = 0;
    for (int y = y0 - DU_GROW; y <= y1 + DU_GROW; y++)
        for (int x = x0 - DU_GROW; x <= x1 + DU_GROW; x++) {
            if (x < 0 || y < 0 || x >= w || y >= h)
                continue;
            int near = 0;
            for (int dy = -DU_GROW; dy <= DU_GROW && !near; dy++)
                for (int dx = -DU_GROW; dx <= DU_GROW && !near; dx++) {
                    int xx = x + dx, yy = y + dy;
                    if (xx >= 0 && yy >= 0 && xx < w && yy < h)
                        near = (d->mask[(size_t)yy * w + xx] & 16) != 0;
                }
            size_t k = (size_t)y * w + x;
            if (!near)
                continue;
            if (d->p[k] == FR_RS_INVALID || d->nx[k] == FR_RS_INVALID)
                return 0;
            d->stack[m++] = (int32_t)k;
        }
    return m;
}

/* The pixels of idx (m of them) next to the region (bit 16) but not in it, into ring;
 * returns how many. */
static int ring_of(const dust *d, const int32_t *idx, int m, int32_t *ring)
{
    int w = d->w, h = d->h, nr = 0;
    for (int i = 0; i < m; i++) {
        int x = idx[i] % w, y = idx[i] / w, near = 0;
        if (d->mask[idx[i]] & 16)
            continue;
        for (int dy = -1; dy <= 1 && !near; dy++)
            for (int dx = -1; dx <= 1 && !near; dx++) {
                int xx = x + dx, yy = y + dy;
                near = xx >= 0 && yy >= 0 && xx < w && yy < h && (d->mask[(size_t)yy * w + xx] & 16);
            }
        if (near)
            ring[nr++] = idx[i];
    }
    return nr;
}

/* Grows, checks and repairs every region of frame j; returns regions repaired. */
static int repair(dust *d, const fr_luma_window *in, int j, int ra, int rb, uint16_t *o,
                  const du_frame *f)
{
    int w = d->w, h = d->h, maxv = (1 << d->bits) - 1, fixed = 0;
    const uint16_t *I = in->frame[j];
    size_t px = (size_t)w * h;
    /* two passes: the regions with a seed, then the faint ones (bit 128, see DU_NEAR) that
     * the first left */
    for (size_t s1 = 0; s1 < 2 * px; s1++) {
        int faint = s1 >= px;
        size_t s0 = faint ? s1 - px : s1;
        uint8_t m0 = d->mask[s0];
        if ((m0 & 4) || (faint ? !(m0 & 128) : (m0 & 3) != 2))
            continue;
        uint8_t pol = d->mask[s0] & 8;
        int bx0 = 0, by0 = 0, bx1 = -1, by1 = -1; /* the box bit 32 is used in */
        int sp = 0, n = 0, x0 = w, y0 = h, x1 = -1, y1 = -1, big = 0;
        d->stack[sp++] = (int32_t)s0;
        d->mask[s0] |= 4;
        while (sp) {
            int32_t i = d->stack[--sp];
            d->region[n++] = i;
            int x = i % w, y = i / w;
            if (x < x0)
                x0 = x;
            if (x > x1)
                x1 = x;
            if (y < y0)
                y0 = y;
            if (y > y1)
                y1 = y;
            if (x1 - x0 >= d->maxside || y1 - y0 >= d->maxside)
                big = 1;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int xx = x + dx, yy = y + dy;
                    if (xx < 0 || yy < 0 || xx >= w || yy >= h)
                        continue;
                    size_t k = (size_t)yy * w + xx;
                    if ((d->mask[k] & 3) && !(d->mask[k] & 4) && (d->mask[k] & 8) == pol) {
                        d->mask[k] |= 4;
                        d->stack[sp++] = (int32_t)k;
                    }
                }
        }
        if (big)
            continue;
        if (faint && (n < DU_FAINT_PIXELS || x1 - x0 + 1 < DU_FAINT_SIDE || y1 - y0 + 1 < DU_FAINT_SIDE))
            continue;
        {
            int e = DU_ACT;
            rewarp(d, in->frame[ra], d->uv, f->gp, f->op, d->p, x0, y0, x1, y1, x0 - e, y0 - e, x1 + e, y1 + e);
            rewarp(d, in->frame[rb], d->uv2, f->gn, f->on, d->nx, x0, y0, x1, y1, x0 - e, y0 - e, x1 + e, y1 + e);
            int how = seeded_how(d, n);
            if ((how & 2) && choose_motion(d, I, x0, y0, x1, y1, x0 - e, y0 - e, x1 + e, y1 + e, how == 2,
                                           f->sigma) < 0)
                goto next;
        }
        bx0 = x0 - DU_ACT < 0 ? 0 : x0 - DU_ACT;
        by0 = y0 - DU_ACT < 0 ? 0 : y0 - DU_ACT;
        bx1 = x1 + DU_ACT >= w ? w - 1 : x1 + DU_ACT;
        by1 = y1 + DU_ACT >= h ? h - 1 : y1 + DU_ACT;
        n = regrow(d, I, f, pol, n, bx0, by0, bx1, by1);
        if (too_big(d, n, x0, y0, x1, y1))
            goto next;
        /* the picture around it: its residual from the neighbours, whose mean is a local
         * brightness offset (uneven light, flicker the global match left) and whose spread
         * must stay near j's own grain (see local_residual) */
        double off = 0, lres = local_residual(d, I, bx0, by0, bx1, by1, &off);
        if (!still_defect(d, I, f, pol, n, off))
            goto next;
        /* in a frame explained poorly, a faint one-frame change is the picture's */
        if (f->loose > 0 && reach(d, I, pol, n, off, in->full_range) < DU_REACH_LOOSE)
            goto next;
        /* what is inside it: dust hides the film's grain, the picture carries it */
        int inside;
        double cg = core_grain(d, I, n, &inside);
        int flat = inside >= DU_GRAINY_PIXELS && cg < (inside >= DU_FLAT_PIXELS ? DU_FLAT : DU_FLAT_FEW) * f->grain;
        int grainy = inside >= DU_GRAINY_PIXELS && cg > DU_GRAINY * f->grain;
        /* bright regions only: the one-frame events of such frames are the picture's
         * highlights (bubbles, glints, spray), seldom dark */
        double loose = pol || flat ? 0.0 : f->loose;
        if (loose > 0 && grainy)
            goto next;
        double explained = flat ? DU_EXPLAINED_FLAT : DU_EXPLAINED - (DU_EXPLAINED - DU_EXPLAINED_LOOSE) * loose;
        if (faint && explained > DU_EXPLAINED_FAINT)
            explained = DU_EXPLAINED_FAINT;
        if (lres > explained * f->grain + (1 << (d->bits - 8)))
            goto next;
        /* weights of P and N in the repair: a side whose flow is not trusted on a ring
         * around it, or that differs around it (a defect of that neighbour nearby), gives
         * nothing; when neither is trusted, both give the same */
        long act_p = 0, act_n = 0, allow = 0;
        around(d, I, f, pol, bx0, by0, bx1, by1, &act_p, &act_n, &allow);
        double tr = 2.5 * f->sigma + 4.0 * (1 << (d->bits - 8));
        double rp = ring_err(d, I, d->p, x0, y0, x1, y1), rn = ring_err(d, I, d->nx, x0, y0, x1, y1);
        double wp = rp <= tr && act_p <= allow ? 1.0 : 0.0, wn = rn <= tr && act_n <= allow ? 1.0 : 0.0;
        if (wp + wn == 0)
            wp = wn = 1.0;
        wp /= wp + wn;
        wn = 1.0 - wp;
        /* pixels to match and to repair: the region grown by DU_GROW pixels, all inside
         * the warped neighbours */
        int m = grown(d, x0, y0, x1, y1);
        if (m == 0)
            goto next;
        int32_t *idx = d->stack, *ring = d->region + n;
        int nr = ring_of(d, idx, m, ring);
        if (found_elsewhere(in, j, ra, rb, w, h, idx, m, d->region, n, ring, nr, pol ? -1 : 1,
                            DU_COPY * f->grain + (1 << (d->bits - 8)), loose))
            goto next;
        for (int i = 0; i < m; i++) {
            size_t k = (size_t)idx[i];
            double rep = wp * d->p[k] + wn * d->nx[k] + off, dv = (double)I[k] - rep;
            if ((d->mask[k] & 16) || (pol ? dv < -3.0 * f->sigma : dv > 3.0 * f->sigma))
                o[k] = fr_rs_clamp(rep, maxv);
        }
        fixed++;
    next:
        for (int i = 0; i < n; i++)
            d->mask[d->region[i]] &= (uint8_t)~16;
        for (int y = by0; y <= by1; y++)
            for (int x = bx0; x <= bx1; x++)
                d->mask[(size_t)y * w + x] &= (uint8_t)~32;
    }
    return fixed;
}

/* p0, n0: the two frames a and b as they are (no motion), matched to I in gain and offset. */
static void still_refs(dust *d, const uint16_t *a, const uint16_t *b, const uint16_t *I)
{
    size_t px = (size_t)d->w * d->h;
    double ga, oa, gb, ob;
#pragma omp parallel for num_threads(d->threads) schedule(static)
    for (size_t i = 0; i < px; i++) {
        d->p0[i] = a[i];
        d->n0[i] = b[i];
    }
    fr_rs_match(I, d->p0, d->w, d->h, &ga, &oa);
    fr_rs_match(I, d->n0, d->w, d->h, &gb, &ob);
#pragma omp parallel for num_threads(d->threads) schedule(static)
    for (size_t i = 0; i < px; i++) {
        d->p0[i] = (float)(ga * d->p0[i] + oa);
        d->n0[i] = (float)(gb * d->n0[i] + ob);
    }
}

static fr_status du_run(void *ctx, const fr_luma_window *in, fr_luma_window *out, fr_err *err)
{
    dust *d = ctx;
    fr_status st;
    if ((st = fr_rs_check("dust", d->w, d->h, d->bits, in, out, err)) != FR_OK)
        return st;
    int w = d->w, h = d->h;
    size_t px = (size_t)w * h;
    double q = (double)(1 << (d->bits - 8));
    fr_rs_motion_reset(&d->mo);
    int r = d->mo.f >= 3 ? 2 : 1;
    for (int j = 0; j < in->n; j++) {
        memcpy(out->frame[j], in->frame[j], px * sizeof(uint16_t));
        if (in->n < 3)
            continue;
        /* the two frames it is checked against: its neighbours, or at a window's edge the two
         * next to it on the one side it has */
        int ra = j == 0 ? 1 : j == in->n - 1 ? j - 1 : j - 1;
        int rb = j == 0 ? 2 : j == in->n - 1 ? j - 2 : j + 1;
        const uint16_t *I = in->frame[j];
        du_frame f;
        fr_rs_motion_flow(&d->mo, in, j, ra, d->uv);
        fr_rs_warp(in->frame[ra], w, h, d->uv, d->mo.sw, d->mo.sh, d->mo.f, d->p, d->threads);
        fr_rs_motion_flow(&d->mo, in, j, rb, d->uv2);
        fr_rs_warp(in->frame[rb], w, h, d->uv2, d->mo.sw, d->mo.sh, d->mo.f, d->nx, d->threads);
        fr_rs_match(I, d->p, w, h, &f.gp, &f.op);
        fr_rs_match(I, d->nx, w, h, &f.gn, &f.on);
        still_refs(d, in->frame[ra], in->frame[rb], I);
#pragma omp parallel for num_threads(d->threads) schedule(static)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                size_t i = (size_t)y * w + x;
                d->p[i] = comp(d->p[i], f.gp, f.op);
                d->nx[i] = comp(d->nx[i], f.gn, f.on);
            }
        double sp = fr_rs_noise_pair(I, d->p, w, h), sn = fr_rs_noise_pair(I, d->nx, w, h);
        f.sigma = sp < sn ? sp : sn;
        if (f.sigma < 0.5 * q)
            f.sigma = 0.5 * q;
        double k = 7.0 - 2.0 * d->strength;
        /* grain-aware: each brightness band gets thresholds from its own grain level */
        {
            double sig[FR_RS_BINS];
            float *wp[2] = {d->p, d->nx};
            fr_rs_noise_curve(I, w, h, d->bits, wp, 2, d->sample, sig);
            f.shift = d->bits - 3;
            for (int b = 0; b < FR_RS_BINS; b++) {
                double t = k * sig[b];
                if (t < DU_FLOOR * q)
                    t = DU_FLOOR * q;
                f.thi[b] = (float)t;
                f.tlo[b] = (float)(0.5 * t);
            }
        }
        f.grain = spatial_grain(I, w, h, d->tmp);
        if (f.grain < 0.5 * q)
            f.grain = 0.5 * q;
        double ratio = f.sigma / fmax(f.grain, DU_LOOSE_FLOOR * q);
        f.loose = (ratio - DU_LOOSE_LO) / (DU_LOOSE_HI - DU_LOOSE_LO);
        f.loose = f.loose < 0 ? 0 : f.loose > 1 ? 1 : f.loose;
        envelope(d, r, d->p, d->nx, &d->mn, d->mx);
        envelope(d, r, d->p0, d->n0, &d->mn0, d->mx0);
        classify(d, I, &f);
        repair(d, in, j, ra, rb, out->frame[j], &f);
    }
    return FR_OK;
}

const fr_restore_filter fr_restore_dust = {
    .name = "dust",
    .radius = du_radius,
    .open = du_open,
    .run = du_run,
    .close = du_close,
};
