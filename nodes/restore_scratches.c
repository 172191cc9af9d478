/* restore_scratches.c: the scratches stage: vertical line scratches that persist over frames,
 * found from column profiles and repaired by horizontal interpolation.
 *
 * Each frame is high-passed across its rows: d(x, y) = I(x, y) - the median of the nine
 * pixels I(x-4 .. x+4, y). A scratch (at most 4 pixels wide) leaves a consistent bright or
 * dark residue down its column, while an edge leaves none (the median follows the step) and
 * texture averages out. The frame is cut into 8 horizontal bands and the median residue of
 * each column in each band is taken; a column is a candidate when at least 6 of the 8 band
 * medians pass a threshold with the same sign (so a pole or a door that spans part of the
 * height is not one), or when 7 of them pass half the threshold with one sign, none the other
 * sign, and 4 the full threshold: a scratch blends towards white or black, so a bright one
 * over bright parts of the picture (a dark one over dark parts) shows little there, yet it
 * still spans the height. The threshold is several times the noise of a band median (the grain
 * level from the residues' median absolute value, shrunk by the band's height) and at least
 * 3/255 of the range.
 *
 * A candidate column of frame j is a scratch when some other frame within R = 2 of j (in the
 * window) has a candidate within 2 columns of it (scratches persist and drift slowly); a
 * window of one frame trusts the frame alone. A weak column (half the threshold in 4 bands)
 * is a scratch on the same terms, so a scratch fading in or out is repaired in its faint
 * frames too. Runs of scratch columns wider than 5 are structure, not scratches, and are
 * dropped; a run grows by a column on each side where that column is weak, then (up to 5
 * columns) over the columns beside it whose mean residue down the whole column has the run's
 * sign and at least 0.35 of its peak, so a wide or soft-edged scratch is repaired over its
 * full width. Each run is repaired row by row by linear interpolation between the pixels
 * just outside it, except a run of weak columns only (a faint scratch), whose columns have
 * their mean residue taken off instead: interpolating would cost more texture than the
 * faint scratch does. Nothing else is touched.
 *
 * Strength s in (0, 1] scales the threshold (from 6 to 4 noise levels). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "restore_impl.h"

#define SC_BANDS 8
#define SC_NEED 6
/* or a column is a candidate when SC_UNEVEN_ALL bands pass half the threshold with one sign
 * (none with the other) and SC_UNEVEN_FULL of them pass the full threshold: a scratch blends
 * towards white or black, so its contrast falls where the picture is already near that level */
#define SC_UNEVEN_ALL 7
#define SC_UNEVEN_FULL 4
#define SC_HALF 4      /* the median spans 2*SC_HALF+1 pixels */
#define SC_MAXW 5
#define SC_RADIUS 2
#define SC_NEAR 2
#define SC_EDGE 0.35f  /* a run grows over columns with this fraction of its peak residue */

typedef struct {
    int w, h, bits, threads;
    double strength;
    float *d;          /* w*h residues of the frame being measured */
    float *col;        /* per thread: a band's column values (w * band height max) */
    int cap;           /* frames the per-frame arrays hold */
    signed char *cand; /* per frame, per column: +1 bright, -1 dark, 0 none */
    signed char *weak; /* per frame, per column: passes half the threshold in 4 bands */
    signed char *is;   /* per column of the frame being written */
    float *str;        /* per frame, per column: median of its band medians */
    float *mean;       /* per frame, per column: the mean residue down the column */
} scratches;

static int sc_radius(double strength)
{
    (void)strength;
    return SC_RADIUS;
}

static void sc_close(void *ctx)
{
    scratches *s = ctx;
    if (!s)
        return;
    free(s->d);
    free(s->col);
    free(s->cand);
    free(s->weak);
    free(s->is);
    free(s->str);
    free(s->mean);
    free(s);
}

static fr_status sc_open(void **ctx, int width, int height, int bits, double strength, int threads,
                         fr_err *err)
{
    *ctx = NULL;
    if (width < 2 * SC_HALF + 3 || height < SC_BANDS || width > 16384 || height > 16384)
        return fr_err_set(err, FR_ERR_ARG, "scratches: frame size %dx%d out of range (%dx%d to 16384x16384)",
                          width, height, 2 * SC_HALF + 3, SC_BANDS);
    if (bits < 8 || bits > 16)
        return fr_err_set(err, FR_ERR_ARG, "scratches: %d bits is not in 8..16", bits);
    if (!(strength > 0 && strength <= 1))
        return fr_err_set(err, FR_ERR_ARG, "scratches: strength %g is not in (0, 1]", strength);
    scratches *s = calloc(1, sizeof *s);
    if (!s)
        return fr_err_set(err, FR_ERR_NOMEM, "scratches: out of memory");
    s->w = width;
    s->h = height;
    s->bits = bits;
    s->threads = fr_rs_threads(threads);
    s->strength = strength;
    s->d = malloc(sizeof(float) * (size_t)width * height);
    s->col = malloc(sizeof(float) * (size_t)width * (height / SC_BANDS + 1));
    s->is = malloc((size_t)width);
    if (!s->d || !s->col || !s->is) {
        sc_close(s);
        return fr_err_set(err, FR_ERR_NOMEM, "scratches: out of memory");
    }
    *ctx = s;
    return FR_OK;
}

static fr_status sc_reserve(scratches *s, int n, fr_err *err)
{
    if (n <= s->cap)
        return FR_OK;
    signed char *c = realloc(s->cand, (size_t)n * s->w);
    if (c)
        s->cand = c;
    signed char *k = realloc(s->weak, (size_t)n * s->w);
    if (k)
        s->weak = k;
    float *f = realloc(s->str, sizeof(float) * (size_t)n * s->w);
    if (f)
        s->str = f;
    float *g = realloc(s->mean, sizeof(float) * (size_t)n * s->w);
    if (g)
        s->mean = g;
    if (!c || !k || !f || !g)
        return fr_err_set(err, FR_ERR_NOMEM, "scratches: out of memory for %d frames", n);
    s->cap = n;
    return FR_OK;
}

static inline float med9(const uint16_t *r, int x, int w)
{
    float v[9];
    for (int k = 0; k < 9; k++) {
        int xx = x - SC_HALF + k;
        xx = xx < 0 ? -xx : xx >= w ? 2 * w - 2 - xx : xx;
        v[k] = r[xx];
    }
    /* insertion sort of 9: small and branch-predictable enough */
    for (int i = 1; i < 9; i++) {
        float t = v[i];
        int j = i - 1;
        while (j >= 0 && v[j] > t) {
            v[j + 1] = v[j];
            j--;
        }
        v[j + 1] = t;
    }
    return v[4];
}

/* Orders a pair: the smaller value to a, the larger to b (a step of the median network). */
#define SC_ORDER(a, b)                                                                            \
    do {                                                                                          \
        uint16_t lo_ = (a) < (b) ? (a) : (b), hi_ = (a) < (b) ? (b) : (a);                        \
        (a) = lo_;                                                                                \
        (b) = hi_;                                                                                \
    } while (0)

/* d = r - the median of r(x-4 .. x+4) over one row: med9 (mirrored) at the ends, and a
 * 19-step min/max network over the inside, which the compiler runs several columns a time.
 * Both give the exact fifth smallest of nine integers, so the residues are the same bytes. */
static void residue_row(const uint16_t *r, int w, float *d)
{
    for (int x = 0; x < SC_HALF; x++) /* w > 2 * SC_HALF (sc_open) */
        d[x] = (float)r[x] - med9(r, x, w);
#pragma omp simd
    for (int x = SC_HALF; x < w - SC_HALF; x++) {
        uint16_t p0 = r[x - 4], p1 = r[x - 3], p2 = r[x - 2], p3 = r[x - 1], p4 = r[x],
                 p5 = r[x + 1], p6 = r[x + 2], p7 = r[x + 3], p8 = r[x + 4];
        SC_ORDER(p1, p2); SC_ORDER(p4, p5); SC_ORDER(p7, p8);
        SC_ORDER(p0, p1); SC_ORDER(p3, p4); SC_ORDER(p6, p7);
        SC_ORDER(p1, p2); SC_ORDER(p4, p5); SC_ORDER(p7, p8);
        SC_ORDER(p0, p3); SC_ORDER(p5, p8); SC_ORDER(p4, p7);
        SC_ORDER(p3, p6); SC_ORDER(p1, p4); SC_ORDER(p2, p5);
        SC_ORDER(p4, p7); SC_ORDER(p4, p2); SC_ORDER(p6, p4);
        SC_ORDER(p4, p2);
        d[x] = (float)r[x] - (float)p4;
    }
    for (int x = w - SC_HALF; x < w; x++)
        d[x] = (float)r[x] - med9(r, x, w);
}

/* Candidate and weak columns of one frame. */
static void measure(scratches *s, const uint16_t *I, signed char *cand, signed char *weak, float *str,
                    float *mean)
{
    int w = s->w, h = s->h;
#pragma omp parallel for num_threads(s->threads) schedule(static)
    for (int y = 0; y < h; y++)
        residue_row(I + (size_t)y * w, w, s->d + (size_t)y * w);
    /* grain level: median |d| over a sparse grid (serial) */
    float smp[4096];
    int ns = 0;
    for (int gy = 0; gy < 64; gy++)
        for (int gx = 0; gx < 64; gx++) {
            int x = (int)(((long)gx * 2 + 1) * w / 128), y = (int)(((long)gy * 2 + 1) * h / 128);
            smp[ns++] = fabsf(s->d[(size_t)y * w + x]);
        }
    double sigma = 1.4826 * fr_rs_median(smp, ns);
    double q = (double)(1 << (s->bits - 8));
    int bh = h / SC_BANDS;
    double t = (6.0 - 2.0 * s->strength) * 1.25 * sigma / sqrt((double)bh);
    if (t < 3.0 * q)
        t = 3.0 * q;
    float bm[SC_BANDS];
#pragma omp parallel for num_threads(s->threads) schedule(static) private(bm)
    for (int x = 0; x < w; x++) {
        float *buf = s->col + (size_t)x * (h / SC_BANDS + 1);
        double sum = 0;
        for (int y = 0; y < h; y++)
            sum += s->d[(size_t)y * w + x];
        mean[x] = (float)(sum / h);
        for (int b = 0; b < SC_BANDS; b++) {
            int y0 = b * h / SC_BANDS, y1 = (b + 1) * h / SC_BANDS, m = 0;
            for (int y = y0; y < y1 && m < h / SC_BANDS + 1; y++)
                buf[m++] = s->d[(size_t)y * w + x];
            bm[b] = fr_rs_median(buf, m);
        }
        int up = 0, dn = 0, wup = 0, wdn = 0;
        for (int b = 0; b < SC_BANDS; b++) {
            up += bm[b] > t;
            dn += bm[b] < -t;
            wup += bm[b] > 0.5 * t;
            wdn += bm[b] < -0.5 * t;
        }
        cand[x] = up >= SC_NEED ? 1 : dn >= SC_NEED ? -1 : 0;
        if (!cand[x])
            cand[x] = up >= SC_UNEVEN_FULL && wup >= SC_UNEVEN_ALL && !wdn   ? 1
                      : dn >= SC_UNEVEN_FULL && wdn >= SC_UNEVEN_ALL && !wup ? -1
                                                                              : 0;
        weak[x] = wup >= 4 ? 1 : wdn >= 4 ? -1 : 0;
        str[x] = fr_rs_median(bm, SC_BANDS);
    }
    /* beside a strong line the nine-pixel median is pulled towards it, leaving a weaker
     * residue of the other sign: a column with a line of the other sign at least twice as
     * strong within SC_HALF of it is no line */
    for (int x = 0; x < w; x++) {
        if (!cand[x] && !weak[x])
            continue;
        float me = str[x], m = 0;
        for (int k = x - SC_HALF; k <= x + SC_HALF; k++)
            if (k >= 0 && k < w && str[k] * me < 0 && fabsf(str[k]) > m)
                m = fabsf(str[k]);
        if (fabsf(me) < 0.5f * m) {
            cand[x] = 0;
            weak[x] = 0;
        }
    }
}

static fr_status sc_run(void *ctx, const fr_luma_window *in, fr_luma_window *out, fr_err *err)
{
    scratches *s = ctx;
    fr_status st;
    if ((st = fr_rs_check("scratches", s->w, s->h, s->bits, in, out, err)) != FR_OK)
        return st;
    int n = in->n, w = s->w, h = s->h;
    if (n == 0)
        return FR_OK;
    if ((st = sc_reserve(s, n, err)) != FR_OK)
        return st;
    for (int k = 0; k < n; k++)
        measure(s, in->frame[k], s->cand + (size_t)k * w, s->weak + (size_t)k * w, s->str + (size_t)k * w,
                s->mean + (size_t)k * w);
    for (int j = 0; j < n; j++) {
        const signed char *cj = s->cand + (size_t)j * w;
        int lo = j - SC_RADIUS < 0 ? 0 : j - SC_RADIUS, hi = j + SC_RADIUS > n - 1 ? n - 1 : j + SC_RADIUS;
        const signed char *wj = s->weak + (size_t)j * w;
        for (int x = 0; x < w; x++) {
            s->is[x] = 0;
            /* a candidate, or a weak column (a scratch fading in or out) */
            int sg = cj[x] ? cj[x] : wj[x];
            if (!sg)
                continue;
            int ok = cj[x] && lo == hi;
            for (int k = lo; k <= hi && !ok; k++) {
                if (k == j)
                    continue;
                const signed char *ck = s->cand + (size_t)k * w;
                for (int xx = x - SC_NEAR; xx <= x + SC_NEAR && !ok; xx++)
                    ok = xx >= 0 && xx < w && ck[xx] == sg;
            }
            s->is[x] = ok ? sg : 0;
        }
        const uint16_t *I = in->frame[j];
        uint16_t *o = out->frame[j];
        memcpy(o, I, sizeof(uint16_t) * (size_t)w * h);
        const signed char *wk = s->weak + (size_t)j * w;
        const float *sj = s->mean + (size_t)j * w;
        for (int x = 0; x < w;) {
            if (!s->is[x]) {
                x++;
                continue;
            }
            int x0 = x, x1 = x;
            while (x1 + 1 < w && s->is[x1 + 1] == s->is[x0])
                x1++;
            x = x1 + 1;
            if (x1 - x0 + 1 > SC_MAXW)
                continue;
            /* a run of weak columns only is a faint scratch (fading in or out): it is repaired
             * by taking its columns' mean residue off, which keeps the texture under it */
            int faint = 1;
            for (int xx = x0; xx <= x1; xx++)
                faint &= !cj[xx];
            if (x0 > 0 && wk[x0 - 1] == s->is[x0] && !s->is[x0 - 1])
                x0--;
            if (x1 < w - 1 && wk[x1 + 1] == s->is[x1] && !s->is[x1 + 1])
                x1++;
            /* a wide or soft-edged scratch: grow over the columns beside it whose mean residue
             * has its sign and at least SC_EDGE of the run's peak */
            int sg = s->is[x0];
            float pk = 0;
            for (int xx = x0; xx <= x1; xx++)
                if (sg * sj[xx] > pk)
                    pk = sg * sj[xx];
            float lim = SC_EDGE * pk;
            while (pk > 0 && x1 - x0 + 1 < SC_MAXW) {
                int gl = x0 > 0 && !s->is[x0 - 1] && sg * sj[x0 - 1] >= lim;
                int gr = x1 < w - 1 && !s->is[x1 + 1] && sg * sj[x1 + 1] >= lim;
                if (gl && (!gr || sg * sj[x0 - 1] >= sg * sj[x1 + 1]))
                    x0--;
                else if (gr)
                    x1++;
                else
                    break;
            }
            x = x1 + 1;
            int a = x0 - 1, b = x1 + 1;
            int maxv = (1 << s->bits) - 1;
            if (faint) {
#pragma omp parallel for num_threads(s->threads) schedule(static)
                for (int y = 0; y < h; y++) {
                    const uint16_t *r = I + (size_t)y * w;
                    uint16_t *ro = o + (size_t)y * w;
                    for (int xx = x0; xx <= x1; xx++)
                        if (sg * sj[xx] > 0)
                            ro[xx] = fr_rs_clamp((double)r[xx] - sj[xx], maxv);
                }
                continue;
            }
#pragma omp parallel for num_threads(s->threads) schedule(static)
            for (int y = 0; y < h; y++) {
                const uint16_t *r = I + (size_t)y * w;
                uint16_t *ro = o + (size_t)y * w;
                double va = a >= 0 ? r[a] : r[b], vb = b < w ? r[b] : r[a];
                for (int xx = x0; xx <= x1; xx++) {
                    double f = (double)(xx - a) / (double)(b - a);
                    ro[xx] = fr_rs_clamp(va + f * (vb - va), maxv);
                }
            }
        }
    }
    return FR_OK;
}

const fr_restore_filter fr_restore_scratches = {
    .name = "scratches",
    .radius = sc_radius,
    .open = sc_open,
    .run = sc_run,
    .close = sc_close,
};
