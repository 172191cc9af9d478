/* restore_deflicker.c: the deflicker stage: brightness flicker removed within a shot, global
 * and local (uneven over the frame), while fades and other slow changes survive.
 *
 * Each frame k is summarised by exact integer sums over a coarse grid of cells (gx x gy,
 * cells of at least 16 pixels): its mean mu_k and standard deviation sd_k, and each cell's
 * standardised mean z_k(c) = (M_k(c) - mu_k) / sd_k. Frame j's reference is a robust local
 * linear fit in time of each of these over the frames j-R .. j+R of the window (Huber
 * reweighted least squares, evaluated at j): a linear fade is fitted exactly, so it stays,
 * while frame-to-frame flicker is averaged out over 2R+1 frames. The window is one shot, so
 * no reference reaches across a cut.
 *
 * Correction of frame j: first globally, y1 = (y - mu_j) * sd_ref / sd_j + mu_ref; then
 * locally, a gain about black that brings each cell's mean to its reference,
 * (mu_ref + sd_ref z_ref(c) - black) / (mu_ref + sd_ref z_j(c) - black). The cell gains are
 * not used as they are: a smooth cubic surface (10 terms in x and y) is fitted to them with
 * Huber weights, so a cell where something moved (its mean changed for a reason other than
 * light) is outvoted by the rest; the surface is clamped to [1/(1+L), 1+L] and evaluated at
 * every pixel. Where the picture itself changes fast (cells' standardised means far from
 * their references: RMS 0.1 .. 0.2), the local part fades out, since the references then
 * say more about motion than about light.
 *
 * Strength s sets the temporal reach: R = 5 + round(10 s) (s = 1: 15 frames each side). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "restore_impl.h"

#define DF_MAX_CELLS 256
#define DF_TERMS 10
#define DF_LOCAL_LIMIT 0.3
#define DF_NCAND 5
#define DF_Z_FULL 0.10 /* cells this close to their references: the whole local correction */
#define DF_Z_NONE 0.20 /* this far: none */
#define DF_HALF_GAIN 0.25 /* a half-length window must cut the residual to a quarter */
#define DF_TUKEY 7.0 /* Tukey cut-off, in robust scales: only points far off the line go */
#define DF_ITER 6 /* reweighted fits: 2 Huber, then Tukey */
#define DF_SIDE_MIN 4    /* frames a one-sided window needs besides j */
#define DF_SIDE_GAIN 0.5 /* a one-sided window must halve the centred one's residual */

typedef struct {
    int w, h, bits, threads, radius;
    int gx, gy, local;
    int *cell_x, *cell_y;   /* cell index of each column / row */
    double *cell_area;      /* pixels in each cell */
    int cap;                /* frames the per-frame arrays hold */
    double *mu, *sd, *z;    /* per frame: mean, deviation, gx*gy standardised cell means */
    int64_t *rowsum;        /* scratch: per row, per cell-column sums (h * gx) */
    double *rowsq;          /* scratch: per row sum of squares */
    float *gain;            /* w * h local gains of the frame being written (local only) */
} deflicker;

static int df_radius(double strength)
{
    if (!(strength > 0))
        strength = 0;
    if (strength > 1)
        strength = 1;
    return 5 + (int)lrint(10.0 * strength);
}

static void df_close(void *ctx)
{
    deflicker *d = ctx;
    if (!d)
        return;
    free(d->cell_x);
    free(d->cell_y);
    free(d->cell_area);
    free(d->mu);
    free(d->sd);
    free(d->z);
    free(d->rowsum);
    free(d->rowsq);
    free(d->gain);
    free(d);
}

static fr_status df_open(void **ctx, int width, int height, int bits, double strength, int threads,
                         fr_err *err)
{
    *ctx = NULL;
    if (width < 8 || height < 8 || width > 16384 || height > 16384)
        return fr_err_set(err, FR_ERR_ARG, "deflicker: frame size %dx%d out of range", width, height);
    if (bits < 8 || bits > 16)
        return fr_err_set(err, FR_ERR_ARG, "deflicker: %d bits is not in 8..16", bits);
    if (!(strength > 0 && strength <= 1))
        return fr_err_set(err, FR_ERR_ARG, "deflicker: strength %g is not in (0, 1]", strength);
    deflicker *d = calloc(1, sizeof *d);
    if (!d)
        return fr_err_set(err, FR_ERR_NOMEM, "deflicker: out of memory");
    d->w = width;
    d->h = height;
    d->bits = bits;
    d->threads = fr_rs_threads(threads);
    d->radius = df_radius(strength);
    d->gx = width / 16 < 8 ? width / 16 : 8;
    d->gy = height / 16 < 6 ? height / 16 : 6;
    if (d->gx < 1)
        d->gx = 1;
    if (d->gy < 1)
        d->gy = 1;
    d->local = d->gx >= 4 && d->gy >= 3;
    d->cell_x = malloc(sizeof(int) * (size_t)width);
    d->cell_y = malloc(sizeof(int) * (size_t)height);
    d->cell_area = calloc((size_t)(d->gx * d->gy), sizeof(double));
    d->rowsum = malloc(sizeof(int64_t) * (size_t)height * d->gx);
    d->rowsq = malloc(sizeof(double) * (size_t)height);
    d->gain = d->local ? malloc(sizeof(float) * (size_t)width * height) : NULL;
    if (!d->cell_x || !d->cell_y || !d->cell_area || !d->rowsum || !d->rowsq || (d->local && !d->gain)) {
        df_close(d);
        return fr_err_set(err, FR_ERR_NOMEM, "deflicker: out of memory");
    }
    for (int x = 0; x < width; x++)
        d->cell_x[x] = x * d->gx / width;
    for (int y = 0; y < height; y++)
        d->cell_y[y] = y * d->gy / height;
    for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
            d->cell_area[d->cell_y[y] * d->gx + d->cell_x[x]] += 1;
    *ctx = d;
    return FR_OK;
}

static fr_status df_reserve(deflicker *d, int n, fr_err *err)
{
    if (n <= d->cap)
        return FR_OK;
    int cells = d->gx * d->gy;
    double *mu = realloc(d->mu, sizeof(double) * (size_t)n);
    if (mu)
        d->mu = mu;
    double *sd = realloc(d->sd, sizeof(double) * (size_t)n);
    if (sd)
        d->sd = sd;
    double *z = realloc(d->z, sizeof(double) * (size_t)n * cells);
    if (z)
        d->z = z;
    if (!mu || !sd || !z)
        return fr_err_set(err, FR_ERR_NOMEM, "deflicker: out of memory for %d frames", n);
    d->cap = n;
    return FR_OK;
}

/* Frame statistics from exact integer row sums (thread-independent). */
static void df_stats(deflicker *d, const uint16_t *p, double *mu, double *sd, double *z)
{
    int w = d->w, h = d->h, gx = d->gx, cells = gx * d->gy;
#pragma omp parallel for num_threads(d->threads) schedule(static)
    for (int y = 0; y < h; y++) {
        int64_t *rs = d->rowsum + (size_t)y * gx;
        uint64_t sq = 0;
        for (int c = 0; c < gx; c++)
            rs[c] = 0;
        const uint16_t *r = p + (size_t)y * w;
        for (int x = 0; x < w; x++) {
            rs[d->cell_x[x]] += r[x];
            sq += (uint64_t)r[x] * r[x];
        }
        d->rowsq[y] = (double)sq;
    }
    double cs[DF_MAX_CELLS] = {0};
    double total = 0, sq = 0;
    for (int y = 0; y < h; y++) {
        for (int c = 0; c < gx; c++)
            cs[d->cell_y[y] * gx + c] += (double)d->rowsum[(size_t)y * gx + c];
        sq += d->rowsq[y];
    }
    for (int c = 0; c < cells; c++)
        total += cs[c];
    double npx = (double)w * h;
    *mu = total / npx;
    double var = sq / npx - *mu * *mu;
    *sd = sqrt(var > 0 ? var : 0);
    double s = *sd > 1e-3 ? *sd : 1e-3;
    for (int c = 0; c < cells; c++)
        z[c] = (cs[c] / d->cell_area[c] - *mu) / s;
}

/* Robust local linear fit of v[k] (k = lo..hi, stride apart in memory) evaluated at j: Huber
 * weights, then (tukey) Tukey's biweight at the Huber fit's scale; the RMS residual of all
 * the points goes to *rms when rms is not NULL. */
static double robust_line(const double *v, size_t stride, int lo, int hi, int j, int tukey, double *rms)
{
    int n = hi - lo + 1;
    double w[64], r[64];
    for (int i = 0; i < n; i++)
        w[i] = 1;
    double a = v[(size_t)j * stride], b = 0, scale = 1;
    for (int it = 0; it <= DF_ITER; it++) {
        double sw = 0, st = 0, sv = 0, stt = 0, stv = 0;
        for (int i = 0; i < n; i++) {
            double t = (double)(lo + i - j), x = v[(size_t)(lo + i) * stride];
            sw += w[i];
            st += w[i] * t;
            sv += w[i] * x;
            stt += w[i] * t * t;
            stv += w[i] * t * x;
        }
        double det = sw * stt - st * st;
        if (sw <= 0)
            break;
        if (n >= 3 && det > 1e-9 * sw * sw) {
            b = (sw * stv - st * sv) / det;
            a = (sv - b * st) / sw;
        } else {
            a = sv / sw;
            b = 0;
        }
        if (it == DF_ITER || n < 4) {
            if (rms) {
                /* unweighted: a window whose line leaves out some of its frames, j above
                 * all, must not look good */
                double e = 0;
                for (int i = 0; i < n; i++) {
                    double r0 = v[(size_t)(lo + i) * stride] - (a + b * (double)(lo + i - j));
                    e += r0 * r0;
                }
                *rms = sqrt(e / n);
            }
            break;
        }
        /* weights from the residuals' median absolute deviation: Huber's first, then
         * Tukey's biweight, which drops a minority that left the line (the frames past
         * the start of a fade) altogether */
        for (int i = 0; i < n; i++)
            r[i] = fabs(v[(size_t)(lo + i) * stride] - (a + b * (double)(lo + i - j)));
        float tmp[64];
        for (int i = 0; i < n; i++)
            tmp[i] = (float)r[i];
        double mad = 1.4826 * fr_rs_median(tmp, n);
        if (mad < 1e-3)
            mad = 1e-3;
        if (it == 1)
            scale = mad; /* Tukey's scale stays that of the Huber fit (an MM-estimate) */
        else if (it > 1)
            mad = scale;
        if (it < 2 || !tukey) {
            double c = 1.5 * mad;
            for (int i = 0; i < n; i++)
                w[i] = r[i] <= c ? 1.0 : c / r[i];
        } else {
            double c = DF_TUKEY * mad;
            for (int i = 0; i < n; i++) {
                double u = r[i] / c;
                w[i] = u < 1 ? (1 - u * u) * (1 - u * u) : 0.0;
            }
        }
    }
    return a;
}

/* Solves the n x n system m x = rhs (Gaussian elimination, partial pivoting); 0 on success. */
static int solve(double *m, double *rhs, int n)
{
    for (int c = 0; c < n; c++) {
        int p = c;
        for (int r = c + 1; r < n; r++)
            if (fabs(m[r * n + c]) > fabs(m[p * n + c]))
                p = r;
        if (fabs(m[p * n + c]) < 1e-12)
            return -1;
        if (p != c) {
            for (int k = 0; k < n; k++) {
                double t = m[c * n + k];
                m[c * n + k] = m[p * n + k];
                m[p * n + k] = t;
            }
            double t = rhs[c];
            rhs[c] = rhs[p];
            rhs[p] = t;
        }
        for (int r = c + 1; r < n; r++) {
            double f = m[r * n + c] / m[c * n + c];
            for (int k = c; k < n; k++)
                m[r * n + k] -= f * m[c * n + k];
            rhs[r] -= f * rhs[c];
        }
    }
    for (int c = n - 1; c >= 0; c--) {
        double s = rhs[c];
        for (int k = c + 1; k < n; k++)
            s -= m[c * n + k] * rhs[k];
        rhs[c] = s / m[c * n + c];
    }
    return 0;
}

static void terms(double u, double v, double *t)
{
    t[0] = 1;
    t[1] = u;
    t[2] = v;
    t[3] = u * u;
    t[4] = u * v;
    t[5] = v * v;
    t[6] = u * u * u;
    t[7] = u * u * v;
    t[8] = u * v * v;
    t[9] = v * v * v;
}

/* Robust cubic surface through the cells' log gains; coef gets DF_TERMS values. */
static void fit_surface(const deflicker *d, const double *lg, double *coef)
{
    int cells = d->gx * d->gy, nt = DF_TERMS;
    if (d->gx < 5 || d->gy < 4)
        nt = 6;
    double w[DF_MAX_CELLS];
    for (int c = 0; c < cells; c++)
        w[c] = 1;
    for (int k = 0; k < DF_TERMS; k++)
        coef[k] = 0;
    for (int it = 0; it < 5; it++) {
        double m[DF_TERMS * DF_TERMS] = {0}, rhs[DF_TERMS] = {0}, t[DF_TERMS];
        for (int c = 0; c < cells; c++) {
            double u = ((c % d->gx) + 0.5) / d->gx - 0.5, v = ((c / d->gx) + 0.5) / d->gy - 0.5;
            terms(u, v, t);
            for (int a = 0; a < nt; a++) {
                rhs[a] += w[c] * t[a] * lg[c];
                for (int b = 0; b < nt; b++)
                    m[a * nt + b] += w[c] * t[a] * t[b];
            }
        }
        for (int a = 0; a < nt; a++)
            m[a * nt + a] += 1e-6; /* a touch of ridge keeps the small grids solvable */
        if (solve(m, rhs, nt) != 0)
            return;
        for (int k = 0; k < DF_TERMS; k++)
            coef[k] = k < nt ? rhs[k] : 0;
        float r[DF_MAX_CELLS];
        double res[DF_MAX_CELLS];
        for (int c = 0; c < cells; c++) {
            double u = ((c % d->gx) + 0.5) / d->gx - 0.5, v = ((c / d->gx) + 0.5) / d->gy - 0.5, s = 0;
            terms(u, v, t);
            for (int k = 0; k < nt; k++)
                s += coef[k] * t[k];
            res[c] = fabs(lg[c] - s);
            r[c] = (float)res[c];
        }
        double mad = 1.4826 * fr_rs_median(r, cells);
        double cut = 1.5 * (mad > 0.002 ? mad : 0.002);
        for (int c = 0; c < cells; c++)
            w[c] = res[c] <= cut ? 1.0 : cut / res[c];
    }
}

static fr_status df_run(void *ctx, const fr_luma_window *in, fr_luma_window *out, fr_err *err)
{
    deflicker *d = ctx;
    fr_status st;
    if ((st = fr_rs_check("deflicker", d->w, d->h, d->bits, in, out, err)) != FR_OK)
        return st;
    int n = in->n, cells = d->gx * d->gy, w = d->w, h = d->h, maxv = (1 << d->bits) - 1;
    if (n == 0)
        return FR_OK;
    if ((st = df_reserve(d, n, err)) != FR_OK)
        return st;
    for (int k = 0; k < n; k++)
        df_stats(d, in->frame[k], &d->mu[k], &d->sd[k], d->z + (size_t)k * cells);
    double black, white;
    fr_rs_range(d->bits, in->full_range, &black, &white);
    for (int j = 0; j < n; j++) {
        int lo = j - d->radius < 0 ? 0 : j - d->radius, hi = j + d->radius > n - 1 ? n - 1 : j + d->radius;
        /* a fade that starts or ends near j bends the trend: windows on one side of j, or
         * half as long, are tried in turn, and one is taken only where it halves the
         * residual of the best so far */
        {
            double best;
            int r2 = d->radius / 2;
            robust_line(d->mu, 1, lo, hi, j, 1, &best);
            int cand[5][2] = {{lo, j}, {j, hi}, {j - r2, j + r2}, {j - r2, j}, {j, j + r2}};
            int blo = lo, bhi = hi;
            for (int c = 0; c < DF_NCAND; c++) {
                int a = cand[c][0] < lo ? lo : cand[c][0], b = cand[c][1] > hi ? hi : cand[c][1];
                if (b - a < DF_SIDE_MIN || (a == blo && b == bhi))
                    continue;
                double rms;
                robust_line(d->mu, 1, a, b, j, 1, &rms);
                if (rms < (c < 2 ? DF_SIDE_GAIN : DF_HALF_GAIN) * best) {
                    best = rms;
                    blo = a;
                    bhi = b;
                }
            }
            lo = blo;
            hi = bhi;
        }
        double mu_ref = robust_line(d->mu, 1, lo, hi, j, 1, NULL), sd_ref = robust_line(d->sd, 1, lo, hi, j, 1, NULL);
        double sdj = d->sd[j];
        double a = (sdj > 0.5 && sd_ref > 0.5) ? sd_ref / sdj : 1.0;
        if (a < 0.5)
            a = 0.5;
        if (a > 2)
            a = 2;
        double b = mu_ref - a * d->mu[j];
        const uint16_t *src = in->frame[j];
        uint16_t *dst = out->frame[j];
        double coef[DF_TERMS] = {0};
        int local = d->local && hi > lo;
        if (local) {
            double lg[DF_MAX_CELLS];
            const double *zj = d->z + (size_t)j * cells;
            double floor_ = 0.02 * (white - black);
            double ez = 0;
            for (int c = 0; c < cells; c++) {
                double zr = robust_line(d->z + c, (size_t)cells, lo, hi, j, 0, NULL);
                ez += (zj[c] - zr) * (zj[c] - zr);
                double num = mu_ref + sd_ref * zr - black, den = mu_ref + sd_ref * zj[c] - black;
                if (num < floor_)
                    num = floor_;
                if (den < floor_)
                    den = floor_;
                lg[c] = log(num / den);
            }
            fit_surface(d, lg, coef);
            /* where the picture itself changes fast (a moving camera, things crossing the
             * frame), the cells' references say little: the local part fades out as the
             * cells' standardised means stray from them (RMS DF_Z_FULL .. DF_Z_NONE) */
            double rz = sqrt(ez / cells), conf = (DF_Z_NONE - rz) / (DF_Z_NONE - DF_Z_FULL);
            conf = conf < 0 ? 0 : conf > 1 ? 1 : conf;
            for (int k = 0; k < DF_TERMS; k++)
                coef[k] *= conf;
        }
        double lim_hi = log(1 + DF_LOCAL_LIMIT), lim_lo = -lim_hi;
#pragma omp parallel for num_threads(d->threads) schedule(static)
        for (int y = 0; y < h; y++) {
            const uint16_t *s = src + (size_t)y * w;
            uint16_t *o = dst + (size_t)y * w;
            double v = (y + 0.5) / h - 0.5;
            /* the surface along this row is a cubic in u */
            double c0 = coef[0] + coef[2] * v + coef[5] * v * v + coef[9] * v * v * v;
            double c1 = coef[1] + coef[4] * v + coef[8] * v * v;
            double c2 = coef[3] + coef[7] * v;
            double c3 = coef[6];
            for (int x = 0; x < w; x++) {
                double y1 = a * s[x] + b;
                if (local) {
                    double u = (x + 0.5) / w - 0.5;
                    double lgv = c0 + u * (c1 + u * (c2 + u * c3));
                    lgv = lgv < lim_lo ? lim_lo : lgv > lim_hi ? lim_hi : lgv;
                    y1 = black + (y1 - black) * exp(lgv);
                }
                o[x] = fr_rs_clamp(y1, maxv);
            }
        }
    }
    return FR_OK;
}

const fr_restore_filter fr_restore_deflicker = {
    .name = "deflicker",
    .radius = df_radius,
    .open = df_open,
    .run = df_run,
    .close = df_close,
};
