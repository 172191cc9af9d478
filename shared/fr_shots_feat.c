/* fr_shots_feat.c: thumbnails of frames and the measures between them, for the
 * shot detector (see fr_shots_feat.h).
 *
 * Cost matters: the detector must cost under a tenth of decoding. So the box
 * average reads each sampled row once into a row of column sums (a loop the
 * compiler vectorises), sampling at most FR_ROWS_PER_CELL rows per grid row on
 * tall pictures; everything after that works on the grid alone (about 3,000
 * cells), whatever the picture size. */
#include "fr_shots_feat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* GCC's -O2 cost model does not vectorise loops of unknown length; the few hot
 * loops (the row sums, the one pass over full-size pixels, and the matched change)
 * ask for it. */
#if defined(__GNUC__) && !defined(__clang__)
#define FR_VECTORISE __attribute__((optimize("tree-loop-vectorize", "vect-cost-model=dynamic")))
#else
#define FR_VECTORISE
#endif

#define FR_ROWS_PER_CELL 4   /* rows sampled per grid row, at most */
#define FR_DARK 0.2f         /* mean level (0..1) under which, or over 1 minus which,
                                a frame can be the blank bottom of a fade */

struct fr_thumber {
    int gw, gh;           /* grid size */
    float flat_sigma;     /* contrast under which a frame is blank */
    int width, height;    /* picture size the tables below were made for (0: none) */
    int *x0;              /* gw+1 column bounds of the cells */
    int *y0;              /* gh+1 row bounds of the cells */
    uint32_t *acc;        /* width column sums of one grid row */
    uint16_t *acc16;      /* the same, 16-bit, for 8-bit planes */
    float *cell;          /* gw*gh raw cell means, 0..1 */
    double sxx, syy;      /* sums of squared centred x and y over the grid, for the plane fit */
};

void fr_thumb_grid_size(int width, int height, int grid, int *gw, int *gh)
{
    int w = grid, h = grid;
    if (width >= height)
        h = (int)lround((double)grid * height / width);
    else
        w = (int)lround((double)grid * width / height);
    if (w > width / 2) w = width / 2;
    if (h > height / 2) h = height / 2;
    *gw = w < 4 ? 4 : w;
    *gh = h < 4 ? 4 : h;
}

fr_status fr_thumber_new(fr_thumber **out, int gw, int gh, float flat_sigma, fr_err *err)
{
    *out = NULL;
    fr_thumber *t = calloc(1, sizeof *t);
    if (!t)
        return fr_err_set(err, FR_ERR_NOMEM, "shot detector: out of memory");
    t->gw = gw;
    t->gh = gh;
    t->flat_sigma = flat_sigma;
    for (int y = 0; y < gh; y++)
        for (int x = 0; x < gw; x++) {
            t->sxx += (x - 0.5 * (gw - 1)) * (x - 0.5 * (gw - 1));
            t->syy += (y - 0.5 * (gh - 1)) * (y - 0.5 * (gh - 1));
        }
    t->x0 = calloc((size_t)gw + 1, sizeof *t->x0);
    t->y0 = calloc((size_t)gh + 1, sizeof *t->y0);
    t->cell = calloc((size_t)gw * gh, sizeof *t->cell);
    if (!t->x0 || !t->y0 || !t->cell) {
        fr_thumber_free(t);
        return fr_err_set(err, FR_ERR_NOMEM, "shot detector: out of memory");
    }
    *out = t;
    return FR_OK;
}

void fr_thumber_free(fr_thumber *t)
{
    if (!t)
        return;
    free(t->x0);
    free(t->y0);
    free(t->acc);
    free(t->acc16);
    free(t->cell);
    free(t);
}

fr_status fr_thumb_alloc(fr_thumb *th, int gw, int gh, fr_err *err)
{
    memset(th, 0, sizeof *th);
    th->z = calloc((size_t)gw * gh, sizeof *th->z);
    th->coarse = calloc((size_t)(gw / 2) * (gh / 2), sizeof *th->coarse);
    if (!th->z || !th->coarse) {
        fr_thumb_release(th);
        return fr_err_set(err, FR_ERR_NOMEM, "shot detector: out of memory");
    }
    return FR_OK;
}

void fr_thumb_release(fr_thumb *th)
{
    if (!th)
        return;
    free(th->z);
    free(th->coarse);
    memset(th, 0, sizeof *th);
}

size_t fr_thumb_bytes(int gw, int gh)
{
    return sizeof(float) * (3 + (size_t)gw * gh + FR_SHOTS_BINS + (size_t)(gw / 2) * (gh / 2)) + 2 * sizeof(int32_t);
}

void fr_thumb_pack(const fr_thumb *th, int gw, int gh, uint8_t *out)
{
    int32_t flags[2] = {th->dark, th->flat};
    size_t cells = (size_t)gw * gh, coarse = (size_t)(gw / 2) * (gh / 2);
    memcpy(out, &th->mean, sizeof(float));
    memcpy(out + 4, &th->sigma, sizeof(float));
    memcpy(out + 8, &th->rsigma, sizeof(float));
    memcpy(out + 12, flags, sizeof flags);
    memcpy(out + 20, th->hist, sizeof th->hist);
    memcpy(out + 20 + sizeof th->hist, th->z, cells * sizeof(float));
    memcpy(out + 20 + sizeof th->hist + cells * sizeof(float), th->coarse, coarse * sizeof(float));
}

fr_status fr_thumb_unpack(const uint8_t *in, int gw, int gh, fr_thumb *th, fr_err *err)
{
    int32_t flags[2];
    size_t cells = (size_t)gw * gh, coarse = (size_t)(gw / 2) * (gh / 2);
    memcpy(&th->mean, in, sizeof(float));
    memcpy(&th->sigma, in + 4, sizeof(float));
    memcpy(&th->rsigma, in + 8, sizeof(float));
    memcpy(flags, in + 12, sizeof flags);
    memcpy(th->hist, in + 20, sizeof th->hist);
    memcpy(th->z, in + 20 + sizeof th->hist, cells * sizeof(float));
    memcpy(th->coarse, in + 20 + sizeof th->hist + cells * sizeof(float), coarse * sizeof(float));
    int ok = (flags[0] == 0 || flags[0] == 1) && (flags[1] == 0 || flags[1] == 1) && isfinite(th->mean) &&
             isfinite(th->sigma) && isfinite(th->rsigma);
    for (size_t i = 0; ok && i < cells; i++)
        ok = isfinite(th->z[i]);
    for (size_t i = 0; ok && i < coarse; i++)
        ok = isfinite(th->coarse[i]);
    for (int i = 0; ok && i < FR_SHOTS_BINS; i++)
        ok = isfinite(th->hist[i]);
    if (!ok)
        return fr_err_set(err, FR_ERR_MPI, "a frame's shot features are malformed");
    th->dark = flags[0];
    th->flat = flags[1];
    return FR_OK;
}

void fr_thumb_copy(fr_thumb *dst, const fr_thumb *src, int gw, int gh)
{
    const int cells = gw * gh;
    memcpy(dst->coarse, src->coarse, (size_t)(gw / 2) * (gh / 2) * sizeof *dst->coarse);
    dst->mean = src->mean;
    dst->sigma = src->sigma;
    dst->rsigma = src->rsigma;
    dst->flat = src->flat;
    dst->dark = src->dark;
    memcpy(dst->hist, src->hist, sizeof dst->hist);
    memcpy(dst->z, src->z, (size_t)cells * sizeof *dst->z);
}

static fr_status size_tables(fr_thumber *t, int width, int height, fr_err *err)
{
    if (t->width == width && t->height == height)
        return FR_OK;
    uint32_t *acc = realloc(t->acc, (size_t)width * sizeof *acc);
    if (acc)
        t->acc = acc;
    uint16_t *acc16 = realloc(t->acc16, (size_t)width * sizeof *acc16);
    if (acc16)
        t->acc16 = acc16;
    if (!acc || !acc16)
        return fr_err_set(err, FR_ERR_NOMEM, "shot detector: out of memory");
    for (int i = 0; i <= t->gw; i++)
        t->x0[i] = (int)((int64_t)i * width / t->gw);
    for (int i = 0; i <= t->gh; i++)
        t->y0[i] = (int)((int64_t)i * height / t->gh);
    t->width = width;
    t->height = height;
    return FR_OK;
}

/* Adds sampled rows [y0, y1) of an 8-bit plane into acc. The rows are summed in
 * 16 bits first (at most FR_ROWS_PER_CELL rows of 255), which vectorises twice as wide. */
FR_VECTORISE static void sum_rows8(const fr_plane *p, int y0, int y1, int step, uint32_t *restrict acc,
                                   uint16_t *restrict tmp)
{
    const int w = p->width;
    memset(tmp, 0, (size_t)w * sizeof *tmp);
    for (int y = y0; y < y1; y += step) {
        const uint8_t *restrict row = p->data + (ptrdiff_t)y * p->linesize;
        for (int x = 0; x < w; x++)
            tmp[x] = (uint16_t)(tmp[x] + row[x]);
    }
    for (int x = 0; x < w; x++)
        acc[x] += tmp[x];
}

FR_VECTORISE static void sum_rows16(const fr_plane *p, int y0, int y1, int step,
                                    uint32_t *restrict acc)
{
    const int w = p->width;
    for (int y = y0; y < y1; y += step) {
        const uint16_t *restrict row = (const uint16_t *)(p->data + (ptrdiff_t)y * p->linesize);
        for (int x = 0; x < w; x++)
            acc[x] += row[x];
    }
}

static void box_average(fr_thumber *t, const fr_plane *p)
{
    const float maxv = (float)((1u << p->bits) - 1u);
    for (int cy = 0; cy < t->gh; cy++) {
        int y0 = t->y0[cy], y1 = t->y0[cy + 1];
        int step = (y1 - y0 + FR_ROWS_PER_CELL - 1) / FR_ROWS_PER_CELL;
        if (step < 1)
            step = 1;
        int rows = (y1 - y0 + step - 1) / step;
        memset(t->acc, 0, (size_t)p->width * sizeof *t->acc);
        if (p->bits > 8)
            sum_rows16(p, y0, y1, step, t->acc);
        else
            sum_rows8(p, y0, y1, step, t->acc, t->acc16);
        for (int cx = 0; cx < t->gw; cx++) {
            uint64_t s = 0;
            for (int x = t->x0[cx]; x < t->x0[cx + 1]; x++)
                s += t->acc[x];
            int n = (t->x0[cx + 1] - t->x0[cx]) * rows;
            t->cell[cy * t->gw + cx] = (float)s / ((float)n * maxv);
        }
    }
}

/* min and max as compares, which vectorise (mn and mx must also order NaNs) */
static inline float mn(float a, float b) { return a < b ? a : b; }
static inline float mx(float a, float b) { return a > b ? a : b; }
static inline float med3(float a, float b, float c) { return mx(mn(a, b), mn(mx(a, b), c)); }

/* Contrast of the inner cells after a 3x3 median: a dust spot or a line scratch, a cell
 * or a column of cells wide, is gone from it, so a black frame that carries them is still
 * seen as blank. (Night scenes keep their lights: a lit area wider than a cell survives.)
 * The median is the exact one of 9, by sorted columns: each column's 3 cells are sorted
 * once, and the median is the middle of (the largest low, the middle middle, the
 * smallest high) of 3 neighbouring columns. */
FR_VECTORISE static float robust_sigma(const float *c, int gw, int gh)
{
    float lo[FR_SHOTS_MAX_GRID], mi[FR_SHOTS_MAX_GRID], hi[FR_SHOTS_MAX_GRID];
    double s = 0, ss = 0;
    for (int y = 1; y < gh - 1; y++) {
        const float *restrict r0 = c + (y - 1) * gw, *restrict r1 = c + y * gw, *restrict r2 = c + (y + 1) * gw;
        for (int x = 0; x < gw; x++) {
            float a = mn(r0[x], r1[x]), b = mx(r0[x], r1[x]);
            lo[x] = mn(a, r2[x]);
            hi[x] = mx(b, r2[x]);
            mi[x] = mx(a, mn(b, r2[x]));
        }
        float rs = 0, rss = 0;
        for (int x = 1; x < gw - 1; x++) {
            float l = mx(mx(lo[x - 1], lo[x]), lo[x + 1]);
            float m = med3(mi[x - 1], mi[x], mi[x + 1]);
            float h = mn(mn(hi[x - 1], hi[x]), hi[x + 1]);
            float v = med3(l, m, h);
            rs += v;
            rss += v * v;
        }
        s += rs;
        ss += rss;
    }
    int n = (gw - 2) * (gh - 2);
    double var = ss / n - (s / n) * (s / n);
    return (float)sqrt(var > 0 ? var : 0);
}

static void histogram(fr_thumb *th, int cells)
{
    memset(th->hist, 0, sizeof th->hist);
    const float scale = (FR_SHOTS_BINS - 1) / 4.0f;
    for (int i = 0; i < cells; i++) {
        float v = (th->z[i] + 2.0f) * scale;
        if (v < 0) v = 0;
        if (v > FR_SHOTS_BINS - 1) v = FR_SHOTS_BINS - 1;
        int b = (int)v;
        float f = v - (float)b;
        if (b >= FR_SHOTS_BINS - 1) {
            th->hist[FR_SHOTS_BINS - 1] += 1.0f;
        } else {
            th->hist[b] += 1.0f - f;
            th->hist[b + 1] += f;
        }
    }
    for (int b = 0; b < FR_SHOTS_BINS; b++)
        th->hist[b] /= (float)cells;
}

fr_status fr_thumb_make(fr_thumber *t, const fr_plane *luma, fr_thumb *th, fr_err *err)
{
    if (!luma || !luma->data || luma->width < 8 || luma->height < 8 || luma->bits < 1 ||
        luma->bits > 16)
        return fr_err_set(err, FR_ERR_ARG, "shot detector: luma plane missing or too small");
    fr_status st = size_tables(t, luma->width, luma->height, err);
    if (st != FR_OK)
        return st;
    box_average(t, luma);
    const int cells = t->gw * t->gh;
    double s = 0, sx = 0, sy = 0, ss = 0;
    for (int i = 0; i < cells; i++)
        s += t->cell[i];
    double mean = s / cells;
    /* take away the best-fitting plane: uneven flicker (a frame brighter on one
     * side than the other, a breathing vignette) then changes the thumbnail little */
    for (int y = 0; y < t->gh; y++)
        for (int x = 0; x < t->gw; x++) {
            double d = t->cell[y * t->gw + x] - mean;
            sx += d * (x - 0.5 * (t->gw - 1));
            sy += d * (y - 0.5 * (t->gh - 1));
        }
    double gx = sx / t->sxx, gy = sy / t->syy;
    for (int y = 0; y < t->gh; y++)
        for (int x = 0; x < t->gw; x++) {
            float *c = &t->cell[y * t->gw + x];
            *c -= (float)(mean + gx * (x - 0.5 * (t->gw - 1)) + gy * (y - 0.5 * (t->gh - 1)));
            ss += (double)*c * *c;
        }
    double sigma = sqrt(ss / cells);
    mean = 0;
    th->mean = (float)(s / cells);
    th->sigma = (float)sigma;
    th->rsigma = robust_sigma(t->cell, t->gw, t->gh);
    /* blank means black or white: a plain mid-grey picture (a wall, a table top)
     * is a shot with little detail, and its normalised detail is still compared */
    th->dark = th->mean < FR_DARK || th->mean > 1.0f - FR_DARK;
    th->flat = th->dark && sigma < t->flat_sigma;
    /* a near-featureless grey frame keeps its faint detail at its own small scale */
    float inv = th->flat ? 0.0f : (float)(1.0 / (sigma > t->flat_sigma ? sigma : t->flat_sigma));
    for (int i = 0; i < cells; i++)
        th->z[i] = (t->cell[i] - (float)mean) * inv;
    histogram(th, cells);
    const int cw = t->gw / 2, ch = t->gh / 2;
    for (int y = 0; y < ch; y++)
        for (int x = 0; x < cw; x++) {
            const float *r = th->z + 2 * y * t->gw + 2 * x;
            th->coarse[y * cw + x] = 0.25f * (r[0] + r[1] + r[t->gw] + r[t->gw + 1]);
        }
    return FR_OK;
}

/* Mean over inner cells of the smallest |b - a| among a's 3x3 neighbourhood.
 * Row by row, one shift at a time, so that the inner loop vectorises. */
FR_VECTORISE static float matched_change(const float *a, const float *b, int gw, int gh)
{
    float m[FR_SHOTS_MAX_GRID];
    double sum = 0;
    const int n = gw - 2;
    for (int y = 1; y < gh - 1; y++) {
        const float *restrict v = b + y * gw + 1;
        for (int x = 0; x < n; x++)
            m[x] = 1e30f;
        for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++) {
                const float *restrict r = a + (y + dy) * gw + 1 + dx;
                for (int x = 0; x < n; x++) {
                    float d = fabsf(v[x] - r[x]);
                    m[x] = d < m[x] ? d : m[x];
                }
            }
        float row = 0;
        for (int x = 0; x < n; x++)
            row += m[x];
        sum += row;
    }
    return (float)(sum / ((double)(gw - 2) * (gh - 2)));
}

void fr_thumb_distance(const fr_thumb *a, const fr_thumb *b, int gw, int gh, fr_thumb_dist *out)
{
    out->pix = matched_change(a->z, b->z, gw, gh);
    float h = 0;
    for (int i = 0; i < FR_SHOTS_BINS; i++)
        h += fabsf(a->hist[i] - b->hist[i]);
    out->hist = 0.5f * h;
    out->d = 0.5f * (out->pix + out->hist);
}

/* Correlation of mid with end moved by (dx, dy) over their overlap, or -2 when
 * the overlap is under half the grid. mid(x, y) ~ end(x - dx, y - dy). */
static double shifted_corr(const float *mid, const float *end, int cw, int ch, int dx, int dy)
{
    int x0 = dx > 0 ? dx : 0, x1 = dx < 0 ? cw + dx : cw;
    int y0 = dy > 0 ? dy : 0, y1 = dy < 0 ? ch + dy : ch;
    int n = (x1 - x0) * (y1 - y0);
    if (n * 2 < cw * ch)
        return -2;
    double sm = 0, se = 0, smm = 0, see = 0, sme = 0;
    for (int y = y0; y < y1; y++) {
        const float *m = mid + y * cw, *e = end + (y - dy) * cw - dx;
        for (int x = x0; x < x1; x++) {
            sm += m[x];
            se += e[x];
            smm += (double)m[x] * m[x];
            see += (double)e[x] * e[x];
            sme += (double)m[x] * e[x];
        }
    }
    double vm = smm - sm * sm / n, ve = see - se * se / n, cv = sme - sm * se / n;
    if (vm <= 1e-9 || ve <= 1e-9)
        return -2;
    return cv / sqrt(vm * ve);
}

/* Sub-cell offset of a parabola's peak through (-1, l), (0, c), (1, r). */
static double peak(double l, double c, double r)
{
    double den = l - 2 * c + r;
    if (l < -1.5 || r < -1.5 || den >= 0)
        return 0;
    double o = 0.5 * (l - r) / den;
    return o < -0.5 ? -0.5 : o > 0.5 ? 0.5 : o;
}

/* The integer shift within [cx-r, cx+r] x [cy-r, cy+r] with the best correlation. */
static double search(const float *mid, const float *end, int cw, int ch, int cx, int cy, int r,
                     int *bx, int *by)
{
    double best = -3;
    *bx = cx;
    *by = cy;
    for (int dy = cy - r; dy <= cy + r; dy++)
        for (int dx = cx - r; dx <= cx + r; dx++) {
            double c = shifted_corr(mid, end, cw, ch, dx, dy);
            if (c > best + 1e-12) {
                best = c;
                *bx = dx;
                *by = dy;
            }
        }
    return best;
}

/* Halves a grid by 2x2 pooling. */
static void pool(const float *src, int w, int h, float *dst)
{
    for (int y = 0; y < h / 2; y++)
        for (int x = 0; x < w / 2; x++) {
            const float *r = src + 2 * y * w + 2 * x;
            dst[y * (w / 2) + x] = 0.25f * (r[0] + r[1] + r[w] + r[w + 1]);
        }
}

/* The global shift (sub-cell) that best aligns end onto mid, within reach: searched
 * on a grid pooled once more, then refined by one cell and a parabola. */
static void best_shift(const float *mid, const float *end, int cw, int ch, int reach, float *tmp,
                       double *sx, double *sy)
{
    int bx, by;
    const int qw = cw / 2, qh = ch / 2;
    float *pm = tmp, *pe = tmp + qw * qh;
    pool(mid, cw, ch, pm);
    pool(end, cw, ch, pe);
    search(pm, pe, qw, qh, 0, 0, (reach + 1) / 2, &bx, &by);
    double best = search(mid, end, cw, ch, 2 * bx, 2 * by, 1, &bx, &by);
    *sx = bx + peak(shifted_corr(mid, end, cw, ch, bx - 1, by), best,
                    shifted_corr(mid, end, cw, ch, bx + 1, by));
    *sy = by + peak(shifted_corr(mid, end, cw, ch, bx, by - 1), best,
                    shifted_corr(mid, end, cw, ch, bx, by + 1));
}

/* out(x, y) = src(x - sx, y - sy), bilinear, clamped at the borders. */
static void warp(const float *src, int cw, int ch, double sx, double sy, float *out)
{
    for (int y = 0; y < ch; y++) {
        double fy = y - sy;
        fy = fy < 0 ? 0 : fy > ch - 1 ? ch - 1 : fy;
        int y0 = (int)fy, y1 = y0 + 1 < ch ? y0 + 1 : y0;
        float wy = (float)(fy - y0);
        for (int x = 0; x < cw; x++) {
            double fx = x - sx;
            fx = fx < 0 ? 0 : fx > cw - 1 ? cw - 1 : fx;
            int x0 = (int)fx, x1 = x0 + 1 < cw ? x0 + 1 : x0;
            float wx = (float)(fx - x0);
            float top = src[y0 * cw + x0] * (1 - wx) + src[y0 * cw + x1] * wx;
            float bot = src[y1 * cw + x0] * (1 - wx) + src[y1 * cw + x1] * wx;
            out[y * cw + x] = top * (1 - wy) + bot * wy;
        }
    }
}

/* Least squares mid ~ a*first + b*last over n values (all about zero mean). */
static void fit2(const float *f, const float *m, const float *l, int n, fr_thumb_blend *out)
{
    double ff = 0, ll = 0, mm = 0, fl = 0, fm = 0, lm = 0;
    for (int i = 0; i < n; i++) {
        ff += (double)f[i] * f[i];
        ll += (double)l[i] * l[i];
        mm += (double)m[i] * m[i];
        fl += (double)f[i] * l[i];
        fm += (double)f[i] * m[i];
        lm += (double)l[i] * m[i];
    }
    double det = ff * ll - fl * fl;
    memset(out, 0, sizeof *out);
    out->resid = 1.0f;
    if (ff <= 0 || ll <= 0 || mm <= 0 || det < 1e-3 * ff * ll)
        return;
    double a = (fm * ll - lm * fl) / det, b = (lm * ff - fm * fl) / det;
    double resid = (mm - a * fm - b * lm) / mm;
    double single = fmin(1.0 - fm * fm / (ff * mm), 1.0 - lm * lm / (ll * mm));
    out->a = (float)a;
    out->b = (float)b;
    out->resid = (float)resid;
    out->single = (float)single;
    out->gain = single > 1e-6 ? (float)(1.0 - resid / single) : 0.0f;
}

void fr_thumb_blend_moved(const fr_thumb *first, const fr_thumb *mid, const fr_thumb *last, int gw,
                          int gh, int reach, float *scratch, fr_thumb_blend *out)
{
    const int cw = gw / 2, ch = gh / 2, n = cw * ch;
    float *fa = scratch, *fb = scratch + n, *m = scratch + 2 * n;
    double ax, ay, bx, by;
    best_shift(mid->coarse, first->coarse, cw, ch, reach, m, &ax, &ay);
    best_shift(mid->coarse, last->coarse, cw, ch, reach, m, &bx, &by);
    warp(first->coarse, cw, ch, ax, ay, fa);
    warp(last->coarse, cw, ch, bx, by, fb);
    /* judge the fit away from the borders, where the warp had to invent cells */
    int k = 0;
    for (int y = reach; y < ch - reach; y++)
        for (int x = reach; x < cw - reach; x++, k++) {
            fa[k] = fa[y * cw + x];
            fb[k] = fb[y * cw + x];
            m[k] = mid->coarse[y * cw + x];
        }
    double sa = 0, sb = 0, sm = 0;
    for (int i = 0; i < k; i++) {
        sa += fa[i];
        sb += fb[i];
        sm += m[i];
    }
    for (int i = 0; i < k; i++) {
        fa[i] -= (float)(sa / k);
        fb[i] -= (float)(sb / k);
        m[i] -= (float)(sm / k);
    }
    fit2(fa, m, fb, k, out);
}
