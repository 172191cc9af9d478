/* restore_dust_region.c: what a region of the dust stage must pass before it is repaired:
 * its motion (re-warped, or none), its size, how far it still stands out, what is inside it
 * and how far it goes towards white or black, how well the neighbours explain the picture
 * around it; and the pixels that are then matched and repaired. See restore_dust.c. */
#include <math.h>

#include "fr_bilinear.h"
#include "restore_dust_impl.h"

/* The mean |I - q| over a ring DU_RING_IN..DU_RING_OUT pixels outside the box [x0, x1] x
 * [y0, y1], other defects left out: how well the reference q explains the picture around
 * a defect; HUGE_VAL where q leaves the frame there or fewer than 8 pixels are left. */
double du_ring_err(const dust *d, const uint16_t *I, const float *q, int x0, int y0, int x1, int y1)
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
void du_rewarp(const dust *d, const uint16_t *src, const float *uv, double g, double o, float *q,
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
 * [by0, by1], the references keep the motion du_rewarp gave them (P, N) or take none (p0, n0),
 * whichever explains the ring around the defect's box [x0, x1] x [y0, y1] better (du_ring_err
 * of both sides; none when equal, or when the moved ones leave the frame and none explains
 * it within DU_STILL_GRAIN noise levels). A region seeded only that way (still_only) is
 * dropped (-1) unless no motion explains its ring nearly as well as the flow's
 * (DU_STILL_GATE): on a moving picture, it is the motion it missed. Returns 1 when no
 * motion was taken, 0 when the flow's was kept. */
int du_choose_motion(dust *d, const uint16_t *I, int x0, int y0, int x1, int y1, int bx0, int by0, int bx1,
                     int by1, int still_only, double sigma)
{
    double q = (double)(1 << (d->bits - 8));
    double moved = du_ring_err(d, I, d->p, x0, y0, x1, y1) + du_ring_err(d, I, d->nx, x0, y0, x1, y1);
    double still = du_ring_err(d, I, d->p0, x0, y0, x1, y1) + du_ring_err(d, I, d->n0, x0, y0, x1, y1);
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
int du_seeded_how(const dust *d, int n)
{
    int how = 0;
    for (int i = 0; i < n; i++) {
        uint8_t m = d->mask[d->region[i]];
        if ((m & 3) == 2 || (m & 128))
            how |= m & 64 ? 2 : 1;
    }
    return how;
}

/* Mean |I - (P + N) / 2| over the box [bx0, bx1] x [by0, by1], the defect (mask bits 16
 * and 32) and invalid samples left out: how well the neighbours explain the picture around
 * it. Pure grain gives about one grain level; where the flow lost a moving object, a swarm
 * of particles or a frame that shows another moment (a repeated frame at a window's edge),
 * much more. */
double du_local_residual(const dust *d, const uint16_t *I, int bx0, int by0, int bx1, int by1, double *offset)
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

/* With the defect's own motion (P and N re-warped), it is found again over its box
 * [bx0, bx1] x [by0, by1]: bit 32 marks the pixels that stand out the same way (the flow it
 * misled may have hidden some), and those touching the region (n pixels, bit 16 set here)
 * join it. Returns the region's new size. */
int du_regrow(dust *d, const uint16_t *I, const du_frame *f, uint8_t pol, int n, int bx0, int by0, int bx1,
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
double du_core_grain(const dust *d, const uint16_t *I, int n, int *inside)
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
int du_too_big(const dust *d, int n, int x0, int y0, int x1, int y1)
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

/* How far j stands out at pixel k from (P + N) / 2 (into *avg) plus the offset off: towards
 * white, or towards black with pol set; -HUGE_VAL where a warped neighbour fell outside its
 * source. */
static double stands_out(const dust *d, const uint16_t *I, size_t k, uint8_t pol, double off, double *avg)
{
    float p = d->p[k], q = d->nx[k];
    if (p == FR_RS_INVALID || q == FR_RS_INVALID)
        return -HUGE_VAL;
    *avg = 0.5 * ((double)p + q);
    double dv = (double)I[k] - *avg - off;
    return pol ? -dv : dv;
}

/* With the defect's own motion and the local offset taken off, it must still be one: at
 * least DU_MIN_PIXELS, most of it beyond the low threshold from the neighbours' mean, some
 * of it beyond the high one. */
int du_still_defect(const dust *d, const uint16_t *I, const du_frame *f, uint8_t pol, int n, double off)
{
    int low = 0, high = 0;
    for (int i = 0; i < n; i++) {
        double avg = 0, dv = stands_out(d, I, (size_t)d->region[i], pol, off, &avg);
        if (dv == -HUGE_VAL)
            continue;
        int band = band_of(f, avg);
        low += dv > f->tlo[band];
        high += dv > f->thi[band];
    }
    return n >= DU_MIN_PIXELS && 2 * low >= n && high > 0;
}

/* How far the region (n pixels) goes at its peak from (P + N) / 2 plus the local offset
 * towards the range's white (bright) or black (dark, pol set), as a share of the way there;
 * 1 where the neighbours already show white or black. */
double du_reach(const dust *d, const uint16_t *I, uint8_t pol, int n, double off, int full_range)
{
    double black, white, peak = 0, room = 0;
    fr_rs_range(d->bits, full_range, &black, &white);
    for (int i = 0; i < n; i++) {
        double avg = 0, dv = stands_out(d, I, (size_t)d->region[i], pol, off, &avg);
        if (dv > peak) {
            peak = dv;
            room = pol ? avg + off - black : white - (avg + off);
        }
    }
    return room >= 1.0 ? peak / room : 1.0;
}

/* Around the defect (its box, less the defect, its margin and the rest of it split off or
 * below the seed level): how many pixels differ from P (act_p), from N (act_n) by the high
 * threshold, and how many may (allow). A defect of a neighbour nearby differs from that
 * side only, which then does not take part in the repair. */
void du_around(const dust *d, const uint16_t *I, const du_frame *f, uint8_t pol, int bx0, int by0, int bx1,
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
int du_grown(dust *d, int x0, int y0, int x1, int y1)
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
int du_ring_of(const dust *d, const int32_t *idx, int m, int32_t *ring)
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
