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
#include <stdlib.h>
#include <string.h>

#include "restore_dust_impl.h"

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

static float comp(float v, double g, double o) { return v == FR_RS_INVALID ? v : (float)(g * v + o); }

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
            du_rewarp(d, in->frame[ra], d->uv, f->gp, f->op, d->p, x0, y0, x1, y1, x0 - e, y0 - e, x1 + e, y1 + e);
            du_rewarp(d, in->frame[rb], d->uv2, f->gn, f->on, d->nx, x0, y0, x1, y1, x0 - e, y0 - e, x1 + e, y1 + e);
            int how = du_seeded_how(d, n);
            if ((how & 2) && du_choose_motion(d, I, x0, y0, x1, y1, x0 - e, y0 - e, x1 + e, y1 + e, how == 2,
                                           f->sigma) < 0)
                goto next;
        }
        bx0 = x0 - DU_ACT < 0 ? 0 : x0 - DU_ACT;
        by0 = y0 - DU_ACT < 0 ? 0 : y0 - DU_ACT;
        bx1 = x1 + DU_ACT >= w ? w - 1 : x1 + DU_ACT;
        by1 = y1 + DU_ACT >= h ? h - 1 : y1 + DU_ACT;
        n = du_regrow(d, I, f, pol, n, bx0, by0, bx1, by1);
        if (du_too_big(d, n, x0, y0, x1, y1))
            goto next;
        /* the picture around it: its residual from the neighbours, whose mean is a local
         * brightness offset (uneven light, flicker the global match left) and whose spread
         * must stay near j's own grain (see du_local_residual) */
        double off = 0, lres = du_local_residual(d, I, bx0, by0, bx1, by1, &off);
        if (!du_still_defect(d, I, f, pol, n, off))
            goto next;
        /* in a frame explained poorly, a faint one-frame change is the picture's */
        if (f->loose > 0 && du_reach(d, I, pol, n, off, in->full_range) < DU_REACH_LOOSE)
            goto next;
        /* what is inside it: dust hides the film's grain, the picture carries it */
        int inside;
        double cg = du_core_grain(d, I, n, &inside);
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
        du_around(d, I, f, pol, bx0, by0, bx1, by1, &act_p, &act_n, &allow);
        double tr = 2.5 * f->sigma + 4.0 * (1 << (d->bits - 8));
        double rp = du_ring_err(d, I, d->p, x0, y0, x1, y1), rn = du_ring_err(d, I, d->nx, x0, y0, x1, y1);
        double wp = rp <= tr && act_p <= allow ? 1.0 : 0.0, wn = rn <= tr && act_n <= allow ? 1.0 : 0.0;
        if (wp + wn == 0)
            wp = wn = 1.0;
        wp /= wp + wn;
        wn = 1.0 - wp;
        /* pixels to match and to repair: the region grown by DU_GROW pixels, all inside
         * the warped neighbours */
        int m = du_grown(d, x0, y0, x1, y1);
        if (m == 0)
            goto next;
        int32_t *idx = d->stack, *ring = d->region + n;
        int nr = du_ring_of(d, idx, m, ring);
        if (du_found_elsewhere(in, j, ra, rb, w, h, idx, m, d->region, n, ring, nr, pol ? -1 : 1,
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
        du_envelope(d, r, d->p, d->nx, &d->mn, d->mx);
        du_envelope(d, r, d->p0, d->n0, &d->mn0, d->mx0);
        du_classify(d, I, &f);
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
