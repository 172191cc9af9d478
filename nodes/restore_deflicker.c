/* restore_deflicker.c: the deflicker stage: brightness flicker removed within a shot, global
 * and local (uneven over the frame), while fades and other slow changes survive.
 *
 * Each frame k is summarised by exact integer sums: its mean mu_k and standard deviation
 * sd_k; and, from a small box-downscaled plane (at most DF_SIDE pixels wide), each cell's
 * standardised mean z_k(c) = (M_k(c) - mu_k) / sd_k over a coarse grid (gx x gy).
 *
 * Light is told from content by motion: each pair of consecutive frames is matched on the
 * small planes along the flow k -> k+1 (nodes/flow.h), and the matched pixels (the worst
 * matched left out) give the map of frame k's brightness onto frame k+1's, a gain and an
 * offset (their means and deviations). A camera moving onto something darker changes the
 * frame's mean but not the map; flicker changes both. What the map leaves unexplained of the
 * change of the frame's mean and deviation is content, except for a small part (up to
 * DF_ALLOW_MEAN codes and DF_ALLOW_SD), taken for flicker too: dust, and what the match got
 * wrong.
 *
 * Frame j's references: chaining the maps from j outwards gives what frame j's mean and
 * deviation would read in each frame k of j-R .. j+R; a robust local linear fit in time of
 * each (Huber, then Tukey's biweight at the Huber fit's scale, evaluated at j) is the
 * reference, mu_ref and sd_ref. A linear fade is fitted exactly, so it stays, while
 * frame-to-frame flicker is averaged out over 2R+1 frames. The points are weighted by a
 * gentle triangle in time (1 - |k - j| / (DF_TAPER R + 1)), so a bend of the trend far
 * from j pulls the line less; and, for the mean, by the doubt of each reading: a map that
 * left a large change of the mean unexplained (beyond DF_ALLOW_MEAN) may have taken part
 * of a real change (a shadow moving over the scene) for light, so the frames read through
 * it get the weight s2 / (s2 + u_k), u_k the sum of the squares of those unexplained parts
 * along the chain from j to k and s2 the square of the flicker's robust spread about the
 * line (a first fit's). Where a fade starts or ends inside the window the trend bends; a
 * one-sided window (or one half as long) that fits much better than the centred one is
 * used instead, provided the centred fit's residuals run smooth in time (a bend) rather
 * than jump from frame to frame (flicker; since version 3). Before that, since version 3, a
 * line with one knee is fitted over the whole window (the knee at the frame that fits
 * best): where it beats the straight line by more than DF_KNEE_GAIN flicker variances, it
 * gives the reference, so the frames of a fade in a flickering film are averaged over the
 * whole window rather than over one short side of it. The window is one shot, so no
 * reference reaches across a cut.
 *
 * Correction of frame j: first globally, y1 = (y - mu_j) * sd_ref / sd_j + mu_ref; then
 * locally, a gain about black that brings each cell's mean to its reference,
 * (mu_ref + sd_ref z_ref(c) - black) / (mu_ref + sd_ref z_j(c) - black), z_ref(c) the
 * robust line of the cell's z over the window. The cell gains are not used as they are: a
 * smooth surface, cubic across the frame and quadratic down it (12 terms; version 2 had the
 * 10 of a cubic in x and y, which could not follow one part of the frame flickering apart
 * from the rest), is fitted to them with Huber weights, so a cell where something moved is
 * outvoted by the rest; the surface is clamped to [1/(1+L), 1+L]
 * and evaluated at every pixel. Where the picture itself changes fast (the cells' z far from
 * their references: RMS DF_Z_FULL .. DF_Z_NONE) the local part fades out, since the
 * references then say more about motion (or light moving over the scene) than about
 * flicker. Since version 3 that RMS is mostly read after the surface's gain is applied:
 * uneven flicker, which the surface takes, no longer fades out its own correction.
 *
 * Every map depends on its two frames only, so frame j's output depends on frames
 * j-R .. j+R alone (the locality rule of nodes/restore.h); the sums that decide are serial
 * or integer, and the flow is thread-independent.
 *
 * Strength s sets the temporal reach: R = 5 + round(10 s) (s = 1: 15 frames each side). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "restore_impl.h"

#define DF_MAX_CELLS 256
#define DF_TERMS 12
#define DF_LOCAL_LIMIT 0.3
#define DF_NCAND 5
#define DF_HALF_GAIN 0.25 /* a half-length window must cut the residual to a quarter */
#define DF_TUKEY 7.0 /* Tukey cut-off, in robust scales: only points far off the line go */
#define DF_ITER 6 /* reweighted fits: 2 Huber, then Tukey */
#define DF_SIDE_MIN 4    /* frames a one-sided window needs besides j */
#define DF_SIDE_GAIN 0.5 /* a one-sided window must halve the centred one's residual */
#define DF_BEND 1.0      /* narrower windows only where the residuals run this smooth (Durbin-Watson) */
#define DF_KNEE_GAIN 8.0 /* a knee must cut the fit's cost by this much (flicker variances) */
#define DF_SIDE 160      /* widest plane the consecutive frames are matched on */
#define DF_FLOW_MIN 32   /* planes smaller than this a side are matched without motion */
#define DF_OUTLIER 6.0   /* matched pixels this many robust spreads off the map are left out */
#define DF_Z_FULL 0.08 /* cells this close to their references: the whole local correction */
#define DF_Z_NONE 0.19 /* this far: none */
#define DF_Z_LEFT 1.414 /* how much what the surface leaves of the cells' departures counts */
#define DF_Z_RAW 0.667  /* and the departures themselves */
#define DF_ALLOW_MEAN 0.5 /* unexplained changes of mean taken for flicker, at most (8-bit codes) */
#define DF_ALLOW_SD 0.25  /* and of deviation */
#define DF_TAPER 3 /* the fit's triangle in time reaches zero at DF_TAPER R frames from j */

typedef struct {
    double a, b;                 /* frame k+1 ~ a * frame k + b on matched pixels */
    double cm, cs;               /* what the map leaves of the change of mean and deviation */
} df_map;

typedef struct {
    int w, h, bits, threads, radius;
    int gx, gy, local;
    int *cell_x, *cell_y;   /* cell index of each column / row */
    int f, sw, sh;          /* the matched planes: w / f x h / f */
    int *scell;             /* cell of each pixel of a matched plane */
    int scell_n[DF_MAX_CELLS]; /* and each cell's pixels there */
    fr_flow *flow;          /* NULL: planes too small, matched without motion */
    fr_flow_pyr *pyr[2];
    uint8_t *g8;            /* sw*sh scratch */
    float *uv, *q, *res;    /* sw*sh*2 flow; sw*sh: the next frame followed, residuals */
    int cap;                /* frames the per-frame arrays hold */
    double *mu, *sd;        /* per frame: mean, deviation */
    double *z;              /* per frame: the cells' standardised means (from the small plane) */
    float *small;           /* per frame: the sw*sh box-downscaled plane, in codes */
    df_map *map;            /* per frame k < n-1: the map of k onto k+1 */
    double *vmu, *vsd;      /* frame j's mean and deviation as read in each frame */
    double *vunc;           /* and the variance of that reading of the mean (the chain's doubt) */
    int64_t *rowsum;        /* scratch: per row sum */
    double *rowsq;          /* scratch: per row sum of squares */
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
    free(d->scell);
    for (int i = 0; i < 2; i++)
        fr_flow_pyr_free(d->pyr[i]);
    fr_flow_free(d->flow);
    free(d->g8);
    free(d->uv);
    free(d->res);
    free(d->q);
    free(d->mu);
    free(d->sd);
    free(d->z);
    free(d->small);
    free(d->map);
    free(d->vmu);
    free(d->vsd);
    free(d->vunc);
    free(d->rowsum);
    free(d->rowsq);
    free(d);
}

/* The grid of cells and the matched planes' size (no allocation). */
static void df_layout(deflicker *d, int width, int height)
{
    d->gx = width / 16 < 8 ? width / 16 : 8;
    d->gy = height / 16 < 6 ? height / 16 : 6;
    if (d->gx < 1)
        d->gx = 1;
    if (d->gy < 1)
        d->gy = 1;
    d->local = d->gx >= 4 && d->gy >= 3;
    d->f = (width + DF_SIDE - 1) / DF_SIDE;
    d->sw = width / d->f;
    d->sh = height / d->f;
}

/* The flow plan on the matched planes, where they are large enough for it. */
static fr_status df_open_flow(deflicker *d, fr_err *err)
{
    if (d->sw < DF_FLOW_MIN || d->sh < DF_FLOW_MIN)
        return FR_OK;
    fr_flow_opts o;
    fr_flow_opts_default(&o);
    o.finest_level = 0;
    o.threads = d->threads;
    fr_status st = fr_flow_new(&d->flow, d->sw, d->sh, &o, err);
    for (int i = 0; i < 2 && st == FR_OK; i++)
        st = fr_flow_pyr_new(&d->pyr[i], d->flow, err);
    return st;
}

static fr_status df_open(void **ctx, int width, int height, int bits, double strength, int threads,
                         fr_err *err)
{
    *ctx = NULL;
    if (width < 8 || height < 8 || width > 16384 || height > 16384)
        return fr_err_set(err, FR_ERR_ARG, "deflicker: frame size %dx%d out of range (8x8 to 16384x16384)",
                          width, height);
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
    df_layout(d, width, height);
    size_t spx = (size_t)d->sw * d->sh;
    d->cell_x = malloc(sizeof(int) * (size_t)width);
    d->cell_y = malloc(sizeof(int) * (size_t)height);
    d->scell = malloc(sizeof(int) * spx);
    d->g8 = malloc(spx);
    d->uv = malloc(sizeof(float) * 2 * spx);
    d->res = malloc(sizeof(float) * spx);
    d->q = malloc(sizeof(float) * spx);
    d->rowsum = malloc(sizeof(int64_t) * (size_t)height);
    d->rowsq = malloc(sizeof(double) * (size_t)height);
    if (!d->cell_x || !d->cell_y || !d->scell || !d->g8 || !d->uv || !d->q || !d->res || !d->rowsum || !d->rowsq) {
        df_close(d);
        return fr_err_set(err, FR_ERR_NOMEM, "deflicker: out of memory");
    }
    if (df_open_flow(d, err) != FR_OK) {
        df_close(d);
        return fr_err_wrap(err, "deflicker");
    }
    for (int x = 0; x < width; x++)
        d->cell_x[x] = x * d->gx / width;
    for (int y = 0; y < height; y++)
        d->cell_y[y] = y * d->gy / height;
    for (int y = 0; y < d->sh; y++)
        for (int x = 0; x < d->sw; x++) {
            int c = d->cell_y[y * d->f + d->f / 2] * d->gx + d->cell_x[x * d->f + d->f / 2];
            d->scell[(size_t)y * d->sw + x] = c;
            d->scell_n[c]++;
        }
    *ctx = d;
    return FR_OK;
}

static fr_status df_reserve(deflicker *d, int n, fr_err *err)
{
    if (n <= d->cap)
        return FR_OK;
    size_t cells = (size_t)d->gx * d->gy, spx = (size_t)d->sw * d->sh, k = (size_t)n;
    double *mu = realloc(d->mu, sizeof(double) * k);
    d->mu = mu ? mu : d->mu;
    double *sd = realloc(d->sd, sizeof(double) * k);
    d->sd = sd ? sd : d->sd;
    double *z = realloc(d->z, sizeof(double) * k * cells);
    d->z = z ? z : d->z;
    float *small = realloc(d->small, sizeof(float) * spx * k);
    d->small = small ? small : d->small;
    df_map *map = realloc(d->map, sizeof(df_map) * k);
    d->map = map ? map : d->map;
    double *vmu = realloc(d->vmu, sizeof(double) * k);
    d->vmu = vmu ? vmu : d->vmu;
    double *vsd = realloc(d->vsd, sizeof(double) * k);
    d->vsd = vsd ? vsd : d->vsd;
    double *vunc = realloc(d->vunc, sizeof(double) * k);
    d->vunc = vunc ? vunc : d->vunc;
    if (!mu || !sd || !z || !small || !map || !vmu || !vsd || !vunc)
        return fr_err_set(err, FR_ERR_NOMEM, "deflicker: out of memory for %d frames", n);
    d->cap = n;
    return FR_OK;
}

/* Frame statistics from exact integer row sums (thread-independent), and the frame's
 * box-downscaled plane (each value written by one thread). */
static void df_stats(deflicker *d, const uint16_t *p, double *mu, double *sd, float *small)
{
    int w = d->w, h = d->h, f = d->f, sw = d->sw;
#pragma omp parallel for num_threads(d->threads) schedule(static)
    for (int y = 0; y < h; y++) {
        int64_t rs = 0;
        uint64_t sq = 0;
        const uint16_t *r = p + (size_t)y * w;
        for (int x = 0; x < w; x++) {
            rs += r[x];
            sq += (uint64_t)r[x] * r[x];
        }
        d->rowsum[y] = rs;
        d->rowsq[y] = (double)sq;
    }
    double total = 0, sq = 0;
    for (int y = 0; y < h; y++) {
        total += (double)d->rowsum[y];
        sq += d->rowsq[y];
    }
    double npx = (double)w * h;
    *mu = total / npx;
    double var = sq / npx - *mu * *mu;
    *sd = sqrt(var > 0 ? var : 0);
    float inv = 1.0f / (float)(f * f);
#pragma omp parallel for num_threads(d->threads) schedule(static)
    for (int y = 0; y < d->sh; y++)
        for (int x = 0; x < sw; x++) {
            uint32_t s = 0;
            for (int j = 0; j < f; j++) {
                const uint16_t *r = p + (size_t)(y * f + j) * w + (size_t)x * f;
                for (int i = 0; i < f; i++)
                    s += r[i];
            }
            small[(size_t)y * sw + x] = (float)s * inv;
        }
}

/* The cells' standardised means of a frame, (cell mean - mu) / sd, from its small plane. */
static void df_cell_z(const deflicker *d, const float *small, double mu, double sd, double *z)
{
    double sum[DF_MAX_CELLS] = {0};
    int cells = d->gx * d->gy;
    size_t spx = (size_t)d->sw * d->sh;
    for (size_t i = 0; i < spx; i++)
        sum[d->scell[i]] += small[i];
    double s = sd > 1e-3 ? sd : 1e-3;
    for (int c = 0; c < cells; c++)
        z[c] = d->scell_n[c] ? (sum[c] / d->scell_n[c] - mu) / s : 0;
}

/* Robust local linear fit of v[k] (k = lo..hi, stride apart in memory) evaluated at j: Huber
 * weights, then (tukey) Tukey's biweight at the Huber fit's scale; with reach > 0 each point's
 * weight is also scaled by a triangle in time, 1 - |k - j| / (reach + 1), so the frames near
 * j count most and a bend of the trend far from j pulls the line less; with unc, by
 * s2 / (s2 + unc[k]), unc[k] the variance of point k's own error beside the scatter s2. The
 * RMS residual of all the points goes to *rms, the robust spread of the residuals (1.4826
 * times their median absolute value) to *spread, where not NULL. */
static double robust_line(const double *v, size_t stride, int lo, int hi, int j, int tukey, int reach,
                          const double *unc, double s2, double *rms, double *spread)
{
    int n = hi - lo + 1;
    double w[64], r[64], kw[64];
    for (int i = 0; i < n; i++) {
        w[i] = 1;
        kw[i] = reach > 0 ? 1.0 - fabs((double)(lo + i - j)) / (reach + 1) : 1.0;
        if (unc)
            kw[i] *= s2 / (s2 + unc[lo + i]);
    }
    double a = v[(size_t)j * stride], b = 0, scale = 1;
    for (int it = 0; it <= DF_ITER; it++) {
        double sw = 0, st = 0, sv = 0, stt = 0, stv = 0;
        for (int i = 0; i < n; i++) {
            double t = (double)(lo + i - j), x = v[(size_t)(lo + i) * stride], wk = w[i] * kw[i];
            sw += wk;
            st += wk * t;
            sv += wk * x;
            stt += wk * t * t;
            stv += wk * t * x;
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
            if (spread) {
                float tmp[64];
                for (int i = 0; i < n; i++)
                    tmp[i] = (float)fabs(v[(size_t)(lo + i) * stride] - (a + b * (double)(lo + i - j)));
                *spread = 1.4826 * fr_rs_median(tmp, n);
            }
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

/* The surface's terms, u^DF_EXP[k][0] v^DF_EXP[k][1] (u across the frame, v down it): cubic
 * across and quadratic down, as the grid has more cells across than down; ordered by degree,
 * so the first 6 are the whole quadratic that small grids get. */
static const int DF_EXP[DF_TERMS][2] = {{0, 0}, {1, 0}, {0, 1}, {2, 0}, {1, 1}, {0, 2},
                                        {3, 0}, {2, 1}, {1, 2}, {3, 1}, {2, 2}, {3, 2}};

static double ipow(double x, int e)
{
    double r = 1;
    while (e-- > 0)
        r *= x;
    return r;
}

static void terms(double u, double v, double *t)
{
    for (int k = 0; k < DF_TERMS; k++)
        t[k] = ipow(u, DF_EXP[k][0]) * ipow(v, DF_EXP[k][1]);
}

/* The terms at cell c's centre. */
static void cell_terms(const deflicker *d, int c, double *t)
{
    terms(((c % d->gx) + 0.5) / d->gx - 0.5, ((c / d->gx) + 0.5) / d->gy - 0.5, t);
}

/* The surface's value at cell c. */
static double surface_at(const deflicker *d, const double *coef, int c)
{
    double t[DF_TERMS], s = 0;
    cell_terms(d, c, t);
    for (int k = 0; k < DF_TERMS; k++)
        s += coef[k] * t[k];
    return s;
}

/* Robust surface through the cells' log gains; coef gets DF_TERMS values. */
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
            cell_terms(d, c, t);
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
            res[c] = fabs(lg[c] - surface_at(d, coef, c));
            r[c] = (float)res[c];
        }
        double mad = 1.4826 * fr_rs_median(r, cells);
        double cut = 1.5 * (mad > 0.002 ? mad : 0.002);
        for (int c = 0; c < cells; c++)
            w[c] = res[c] <= cut ? 1.0 : cut / res[c];
    }
}

/* A small plane, rounded to 8 bits, prepared for the flow into pyr. */
static void df_prepare(deflicker *d, const float *small, fr_flow_pyr *pyr)
{
    size_t spx = (size_t)d->sw * d->sh;
    float k = 1.0f / (float)(1 << (d->bits - 8));
    for (size_t i = 0; i < spx; i++) {
        float v = small[i] * k + 0.5f;
        d->g8[i] = (uint8_t)(v >= 255.0f ? 255 : v <= 0.0f ? 0 : (int)v);
    }
    fr_flow_prepare(d->flow, d->g8, d->sw, pyr);
}

/* Frame b's small plane sampled where the flow a -> b (uv, NULL: none) says each pixel of a
 * went; FR_RS_INVALID off the plane. Into q (sw*sh). */
static void df_follow(const deflicker *d, const float *b, const float *uv, float *q)
{
    int sw = d->sw, sh = d->sh;
#pragma omp parallel for num_threads(d->threads) schedule(static)
    for (int y = 0; y < sh; y++)
        for (int x = 0; x < sw; x++) {
            size_t i = (size_t)y * sw + x;
            float px = (float)x + (uv ? uv[2 * i] : 0.0f), py = (float)y + (uv ? uv[2 * i + 1] : 0.0f);
            if (!(px >= 0.0f && px <= (float)(sw - 1) && py >= 0.0f && py <= (float)(sh - 1))) {
                q[i] = FR_RS_INVALID;
                continue;
            }
            int x0 = (int)px, y0 = (int)py, x1 = x0 < sw - 1 ? x0 + 1 : x0, y1 = y0 < sh - 1 ? y0 + 1 : y0;
            float fx = px - (float)x0, fy = py - (float)y0;
            const float *r0 = b + (size_t)y0 * sw, *r1 = b + (size_t)y1 * sw;
            float top = r0[x0] + fx * (r0[x1] - r0[x0]), bot = r1[x0] + fx * (r1[x1] - r1[x0]);
            q[i] = top + fy * (bot - top);
        }
}

/* Gain and offset that carry p's means and deviation onto q's over the matched pixels whose
 * residual (under the previous map, when cut > 0) is within cut. Serial: fixed order. */
static void df_moments(const deflicker *d, const float *p, const float *q, double cut, df_map *m)
{
    double n = 0, sp = 0, sq = 0, spp = 0, sqq = 0, q1 = (double)(1 << (d->bits - 8));
    size_t spx = (size_t)d->sw * d->sh;
    for (size_t i = 0; i < spx; i++) {
        if (q[i] == FR_RS_INVALID || (cut > 0 && fabs(q[i] - (m->a * p[i] + m->b)) > cut))
            continue;
        n++;
        sp += p[i];
        sq += q[i];
        spp += (double)p[i] * p[i];
        sqq += (double)q[i] * q[i];
    }
    m->a = 1;
    m->b = 0;
    if (n < 16)
        return;
    double mp = sp / n, mq = sq / n, vp = spp / n - mp * mp, vq = sqq / n - mq * mq;
    double a = (vp > 0.25 * q1 * q1 && vq > 0.25 * q1 * q1) ? sqrt(vq / vp) : 1;
    m->a = a < 0.5 ? 0.5 : a > 2 ? 2 : a;
    m->b = mq - m->a * mp;
}

/* Robust spread of the matched pixels' residuals under the map (the median absolute one). */
static double df_spread(deflicker *d, const float *p, const float *q, const df_map *m)
{
    size_t spx = (size_t)d->sw * d->sh;
    int n = 0;
    for (size_t i = 0; i < spx; i++)
        if (q[i] != FR_RS_INVALID)
            d->res[n++] = (float)fabs(q[i] - (m->a * p[i] + m->b));
    return n ? 1.4826 * fr_rs_median(d->res, n) : 0;
}

/* The part of a change of mean or deviation the maps did not explain that is still taken
 * for flicker: all of a small one (dust, what the match got wrong), at most t of a large
 * one (the picture itself changed). */
static double df_allow(double c, double t) { return c < -t ? -t : c > t ? t : c; }

/* The map of frame k's brightness onto frame k+1's, from their small planes matched along
 * the flow k -> k+1 (slot: which prepared pyramid holds k). */
static void df_pair(deflicker *d, int k, int slot, df_map *m)
{
    size_t spx = (size_t)d->sw * d->sh;
    const float *p = d->small + spx * (size_t)k, *b = d->small + spx * (size_t)(k + 1);
    float *q = d->q;
    if (d->flow) {
        df_prepare(d, b, d->pyr[!slot]);
        fr_flow_compute(d->flow, d->pyr[slot], d->pyr[!slot], d->uv);
    }
    df_follow(d, b, d->flow ? d->uv : NULL, q);
    m->a = 1;
    m->b = 0;
    df_moments(d, p, q, 0, m);
    double q1 = (double)(1 << (d->bits - 8)), cut = DF_OUTLIER * df_spread(d, p, q, m);
    if (cut < q1)
        cut = q1;
    df_moments(d, p, q, cut, m);
    m->cm = d->mu[k + 1] - (m->a * d->mu[k] + m->b);
    m->cs = d->sd[k + 1] - m->a * d->sd[k];
}

/* Frame j's mean and deviation as read in each frame k of lo .. hi, chaining the maps of
 * consecutive frames outwards from j; and the doubt of each reading of the mean, the sum of
 * the squares of what the maps on the way left unexplained beyond the part taken for
 * flicker (a change the match could not account for may be partly mistaken for light). */
static void df_chain(deflicker *d, int j, int lo, int hi)
{
    d->vmu[j] = d->mu[j];
    d->vsd[j] = d->sd[j];
    d->vunc[j] = 0;
    double q1 = (double)(1 << (d->bits - 8));
    double tm = DF_ALLOW_MEAN * q1, ts = DF_ALLOW_SD * q1;
    for (int k = j; k < hi; k++) {
        const df_map *m = &d->map[k];
        double e = fabs(m->cm) > tm ? fabs(m->cm) - tm : 0;
        d->vmu[k + 1] = m->a * d->vmu[k] + m->b + df_allow(m->cm, tm);
        d->vsd[k + 1] = m->a * d->vsd[k] + df_allow(m->cs, ts);
        d->vunc[k + 1] = d->vunc[k] + e * e;
    }
    for (int k = j - 1; k >= lo; k--) {
        const df_map *m = &d->map[k];
        double e = fabs(m->cm) > tm ? fabs(m->cm) - tm : 0;
        d->vmu[k] = (d->vmu[k + 1] - m->b - df_allow(m->cm, tm)) / m->a;
        d->vsd[k] = (d->vsd[k + 1] - df_allow(m->cs, ts)) / m->a;
        d->vunc[k] = d->vunc[k + 1] + e * e;
    }
}

/* Durbin-Watson statistic of v[lo..hi]'s residuals about their least-squares line: near 2
 * where they jump from frame to frame (flicker), near 0 where they run smooth in time (a
 * bend of the trend: a fade starting or ending). */
static double bend_smoothness(const double *v, int lo, int hi)
{
    int n = hi - lo + 1;
    double st = 0, sv = 0, stt = 0, stv = 0;
    for (int k = lo; k <= hi; k++) {
        double t = k - lo;
        st += t;
        sv += v[k];
        stt += t * t;
        stv += t * v[k];
    }
    double det = n * stt - st * st, b = det > 0 ? (n * stv - st * sv) / det : 0, a = (sv - b * st) / n;
    double num = 0, den = 0, prev = 0;
    for (int k = lo; k <= hi; k++) {
        double r = v[k] - (a + b * (k - lo));
        den += r * r;
        if (k > lo)
            num += (r - prev) * (r - prev);
        prev = r;
    }
    return den > 0 ? num / den : 2;
}

/* A fade that starts or ends near j bends the trend: windows on one side of j, or half as
 * long, are tried in turn, and one is taken only where it halves the residual of the best
 * so far. Only where the centred window's residuals run smooth in time (bend_smoothness at
 * most DF_BEND): a stretch of frames that happen to flicker little also fits far better
 * than the whole window, but what the whole window leaves there jumps from frame to frame.
 * Narrows [*lo, *hi]. */
static void df_window(const deflicker *d, int j, int *lo, int *hi)
{
    double best;
    int r2 = d->radius / 2, l0 = *lo, h0 = *hi;
    if (bend_smoothness(d->vmu, l0, h0) > DF_BEND)
        return;
    robust_line(d->vmu, 1, l0, h0, j, 1, DF_TAPER * d->radius, NULL, 0, &best, NULL);
    int cand[DF_NCAND][2] = {{l0, j}, {j, h0}, {j - r2, j + r2}, {j - r2, j}, {j, j + r2}};
    for (int c = 0; c < DF_NCAND; c++) {
        int a = cand[c][0] < l0 ? l0 : cand[c][0], b = cand[c][1] > h0 ? h0 : cand[c][1];
        if (b - a < DF_SIDE_MIN || (a == *lo && b == *hi))
            continue;
        double rms;
        robust_line(d->vmu, 1, a, b, j, 1, DF_TAPER * d->radius, NULL, 0, &rms, NULL);
        if (rms < (c < 2 ? DF_SIDE_GAIN : DF_HALF_GAIN) * best) {
            best = rms;
            *lo = a;
            *hi = b;
        }
    }
}

/* The local correction's surface for frame j (coef, DF_TERMS values): per cell, the gain
 * about black that brings its mean to its reference (the robust line of its standardised
 * mean over lo .. hi, under frame j's global references mu_ref and sd_ref), smoothed by a
 * robust surface. Where the picture itself changes fast (a moving camera, things crossing
 * the frame, light moving over the scene), the references say more about that than about
 * flicker: the surface fades out as the cells' standardised means stray from them (RMS
 * DF_Z_FULL .. DF_Z_NONE). What strays is read two ways, and the larger counts: what the
 * surface leaves of the cells' departures (DF_Z_LEFT times its RMS: flicker is smooth over
 * the frame and the surface takes it, motion is not), and the departures themselves
 * (DF_Z_RAW times: motion smooth over the frame, a pan, would pass the first). */
static void df_local(deflicker *d, int j, int lo, int hi, double mu_ref, double sd_ref, const double *range,
                     double *coef)
{
    int cells = d->gx * d->gy;
    double lg[DF_MAX_CELLS] = {0}, zr[DF_MAX_CELLS], black = range[0], floor_ = 0.02 * (range[1] - range[0]);
    double raw = 0, left = 0;
    const double *zj = d->z + (size_t)j * cells;
    for (int c = 0; c < cells; c++) {
        zr[c] = robust_line(d->z + c, (size_t)cells, lo, hi, j, 0, 0, NULL, 0, NULL, NULL);
        double num = mu_ref + sd_ref * zr[c] - black, den = mu_ref + sd_ref * zj[c] - black;
        lg[c] = log((num < floor_ ? floor_ : num) / (den < floor_ ? floor_ : den));
        raw += (zj[c] - zr[c]) * (zj[c] - zr[c]);
    }
    fit_surface(d, lg, coef);
    for (int c = 0; c < cells; c++) {
        /* cell c's standardised mean once the surface's gain is applied */
        double zc = ((mu_ref + sd_ref * zj[c] - black) * exp(surface_at(d, coef, c)) + black - mu_ref) /
                    (sd_ref > 1e-3 ? sd_ref : 1e-3);
        left += (zc - zr[c]) * (zc - zr[c]);
    }
    raw = DF_Z_RAW * sqrt(raw / cells);
    left = DF_Z_LEFT * sqrt(left / cells);
    double rz = raw > left ? raw : left, conf = (DF_Z_NONE - rz) / (DF_Z_NONE - DF_Z_FULL);
    conf = conf < 0 ? 0 : conf > 1 ? 1 : conf;
    for (int k = 0; k < DF_TERMS; k++)
        coef[k] *= conf;
}

/* Writes frame j: y1 = a y + b, then the local gain about black. */
static void df_apply(const deflicker *d, const uint16_t *src, uint16_t *dst, double a, double b, int local,
                     const double *coef, double black)
{
    int w = d->w, h = d->h, maxv = (1 << d->bits) - 1;
    double lim_hi = log(1 + DF_LOCAL_LIMIT), lim_lo = -lim_hi;
#pragma omp parallel for num_threads(d->threads) schedule(static)
    for (int y = 0; y < h; y++) {
        const uint16_t *s = src + (size_t)y * w;
        uint16_t *o = dst + (size_t)y * w;
        double v = (y + 0.5) / h - 0.5;
        /* the surface along this row is a cubic in u */
        double cu[4] = {0};
        for (int k = 0; k < DF_TERMS; k++)
            cu[DF_EXP[k][0]] += coef[k] * ipow(v, DF_EXP[k][1]);
        for (int x = 0; x < w; x++) {
            double y1 = a * s[x] + b;
            if (local) {
                double u = (x + 0.5) / w - 0.5;
                double lgv = cu[0] + u * (cu[1] + u * (cu[2] + u * cu[3]));
                lgv = lgv < lim_lo ? lim_lo : lgv > lim_hi ? lim_hi : lgv;
                y1 = black + (y1 - black) * exp(lgv);
            }
            o[x] = fr_rs_clamp(y1, maxv);
        }
    }
}

/* The knee line's value at a point's terms x (1, k - j, max(0, k - s)), np of them used. */
static double knee_at(const double *coef, const double *x, int np)
{
    return coef[0] + coef[1] * x[1] + (np == 3 ? coef[2] * x[2] : 0);
}

/* Robust fit of v[lo..hi] by a line with a knee at s, a + b (k - j) + c max(0, k - s) (no
 * knee where s >= hi): Huber weights at scale, the points weighted by the triangle in time
 * as robust_line does. Returns the fit at j; *cost, where not NULL, gets the weighted Huber
 * cost in units of scale squared. */
static double knee_fit(const double *v, int lo, int hi, int j, int reach, int s, double scale, double *cost)
{
    int n = hi - lo + 1, np = s < hi ? 3 : 2;
    double w[64], kw[64], x[64][3], coef[3] = {v[j], 0, 0}, c = 1.5 * scale;
    for (int i = 0; i < n; i++) {
        int k = lo + i;
        w[i] = 1;
        kw[i] = 1.0 - fabs((double)(k - j)) / (reach + 1);
        x[i][0] = 1;
        x[i][1] = k - j;
        x[i][2] = k > s ? k - s : 0;
    }
    for (int it = 0; it < DF_ITER; it++) {
        double m[9] = {0}, rhs[3] = {0};
        for (int i = 0; i < n; i++)
            for (int a = 0; a < np; a++) {
                rhs[a] += w[i] * kw[i] * x[i][a] * v[lo + i];
                for (int b = 0; b < np; b++)
                    m[a * np + b] += w[i] * kw[i] * x[i][a] * x[i][b];
            }
        if (solve(m, rhs, np) != 0)
            break;
        for (int a = 0; a < np; a++)
            coef[a] = rhs[a];
        for (int i = 0; i < n; i++) {
            double r = fabs(v[lo + i] - knee_at(coef, x[i], np));
            w[i] = r <= c ? 1.0 : c / r;
        }
    }
    if (cost) {
        double e = 0;
        for (int i = 0; i < n; i++) {
            double r = fabs(v[lo + i] - knee_at(coef, x[i], np));
            e += kw[i] * (r <= c ? 0.5 * r * r : c * (r - 0.5 * c));
        }
        *cost = e / (scale * scale);
    }
    return coef[0] + (np == 3 && j > s ? coef[2] * (j - s) : 0);
}

/* A fade that starts or ends inside frame j's window, in a film that flickers: the trend of
 * frame j's mean read over the window is fitted by a line with one knee, at the frame that
 * fits best, where that fits better than a straight line by more than DF_KNEE_GAIN (in
 * units of the flicker's variance, read from the frame-to-frame steps). The whole window
 * then gives the reference, where one side of it alone would be noisy. 1 with *mu_ref and
 * *knee set, 0 where a straight line does. */
static int df_knee(const deflicker *d, int j, int lo, int hi, int reach, double *mu_ref, int *knee)
{
    int n = hi - lo + 1;
    if (n < 2 * DF_SIDE_MIN)
        return 0;
    float step[64];
    for (int i = 1; i < n; i++)
        step[i - 1] = (float)fabs(d->vmu[lo + i] - d->vmu[lo + i - 1]);
    double q1 = (double)(1 << (d->bits - 8)), scale = 1.4826 * fr_rs_median(step, n - 1) / sqrt(2.0);
    scale = scale > 0.1 * q1 ? scale : 0.1 * q1;
    double line, best = 0, at = 0;
    knee_fit(d->vmu, lo, hi, j, reach, hi, scale, &line);
    *knee = -1;
    for (int s = lo + 2; s <= hi - 2; s++) {
        double cost, v = knee_fit(d->vmu, lo, hi, j, reach, s, scale, &cost);
        if (*knee < 0 || cost < best) {
            best = cost;
            at = v;
            *knee = s;
        }
    }
    if (*knee < 0 || line - best <= DF_KNEE_GAIN)
        return 0;
    *mu_ref = at;
    return 1;
}

static void df_frame(deflicker *d, const fr_luma_window *in, fr_luma_window *out, int j, const double *range)
{
    int n = in->n;
    int lo = j - d->radius < 0 ? 0 : j - d->radius, hi = j + d->radius > n - 1 ? n - 1 : j + d->radius;
    df_chain(d, j, lo, hi);
    double sdj = d->sd[j], q1 = (double)(1 << (d->bits - 8)), spread = 0, mu_ref, sd_ref;
    int reach = DF_TAPER * d->radius, knee;
    if (df_knee(d, j, lo, hi, reach, &mu_ref, &knee)) {
        sd_ref = knee_fit(d->vsd, lo, hi, j, reach, knee, q1, NULL);
    } else {
        df_window(d, j, &lo, &hi);
        mu_ref = robust_line(d->vmu, 1, lo, hi, j, 1, reach, NULL, 0, NULL, &spread);
        /* the frames read through maps that left much unexplained count less: their
         * reading's uncertainty (d->vunc) is weighed against the flicker's own spread
         * about the line */
        spread = spread > 0.5 * q1 ? spread : 0.5 * q1;
        mu_ref = robust_line(d->vmu, 1, lo, hi, j, 1, reach, d->vunc, spread * spread, NULL, NULL);
        sd_ref = robust_line(d->vsd, 1, lo, hi, j, 1, reach, NULL, 0, NULL, NULL);
    }
    double a = (sdj > 0.5 * q1 && sd_ref > 0.5 * q1) ? sd_ref / sdj : 1.0;
    a = a < 0.5 ? 0.5 : a > 2 ? 2 : a;
    double b = mu_ref - a * d->mu[j];
    double coef[DF_TERMS] = {0};
    int local = d->local && hi > lo;
    if (local)
        df_local(d, j, lo, hi, mu_ref, sd_ref, range, coef);
    df_apply(d, in->frame[j], out->frame[j], a, b, local, coef, range[0]);
}

static fr_status df_run(void *ctx, const fr_luma_window *in, fr_luma_window *out, fr_err *err)
{
    deflicker *d = ctx;
    fr_status st;
    if ((st = fr_rs_check("deflicker", d->w, d->h, d->bits, in, out, err)) != FR_OK)
        return st;
    int n = in->n;
    if (n == 0)
        return FR_OK;
    if ((st = df_reserve(d, n, err)) != FR_OK)
        return st;
    size_t spx = (size_t)d->sw * d->sh;
    for (int k = 0; k < n; k++)
    {
        df_stats(d, in->frame[k], &d->mu[k], &d->sd[k], d->small + spx * (size_t)k);
        df_cell_z(d, d->small + spx * (size_t)k, d->mu[k], d->sd[k], d->z + (size_t)k * (d->gx * d->gy));
    }
    double range[2]; /* black, white */
    fr_rs_range(d->bits, in->full_range, &range[0], &range[1]);
    if (d->flow)
        df_prepare(d, d->small, d->pyr[0]);
    for (int k = 0; k + 1 < n; k++)
        df_pair(d, k, k & 1, &d->map[k]);
    for (int j = 0; j < n; j++)
        df_frame(d, in, out, j, range);
    return FR_OK;
}

const fr_restore_filter fr_restore_deflicker = {
    .name = "deflicker",
    .radius = df_radius,
    .open = df_open,
    .run = df_run,
    .close = df_close,
};
