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

#include "restore_deflicker_impl.h"

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

/* A fade that starts or ends near j bends the trend: windows on one side of j, or half as
 * long, are tried in turn, and one is taken only where it halves the residual of the best
 * so far. Only where the centred window's residuals run smooth in time (df_bend_smoothness at
 * most DF_BEND): a stretch of frames that happen to flicker little also fits far better
 * than the whole window, but what the whole window leaves there jumps from frame to frame.
 * Narrows [*lo, *hi]. */
static void df_window(const deflicker *d, int j, int *lo, int *hi)
{
    double best;
    int r2 = d->radius / 2, l0 = *lo, h0 = *hi;
    if (df_bend_smoothness(d->vmu, l0, h0) > DF_BEND)
        return;
    df_robust_line(d->vmu, 1, l0, h0, j, 1, DF_TAPER * d->radius, NULL, 0, &best, NULL);
    int cand[DF_NCAND][2] = {{l0, j}, {j, h0}, {j - r2, j + r2}, {j - r2, j}, {j, j + r2}};
    for (int c = 0; c < DF_NCAND; c++) {
        int a = cand[c][0] < l0 ? l0 : cand[c][0], b = cand[c][1] > h0 ? h0 : cand[c][1];
        if (b - a < DF_SIDE_MIN || (a == *lo && b == *hi))
            continue;
        double rms;
        df_robust_line(d->vmu, 1, a, b, j, 1, DF_TAPER * d->radius, NULL, 0, &rms, NULL);
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
        zr[c] = df_robust_line(d->z + c, (size_t)cells, lo, hi, j, 0, 0, NULL, 0, NULL, NULL);
        double num = mu_ref + sd_ref * zr[c] - black, den = mu_ref + sd_ref * zj[c] - black;
        lg[c] = log((num < floor_ ? floor_ : num) / (den < floor_ ? floor_ : den));
        raw += (zj[c] - zr[c]) * (zj[c] - zr[c]);
    }
    df_fit_surface(d, lg, coef);
    for (int c = 0; c < cells; c++) {
        /* cell c's standardised mean once the surface's gain is applied */
        double zc = ((mu_ref + sd_ref * zj[c] - black) * exp(df_surface_at(d, coef, c)) + black - mu_ref) /
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
    df_knee_fit(d->vmu, lo, hi, j, reach, hi, scale, &line);
    *knee = -1;
    for (int s = lo + 2; s <= hi - 2; s++) {
        double cost, v = df_knee_fit(d->vmu, lo, hi, j, reach, s, scale, &cost);
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
        sd_ref = df_knee_fit(d->vsd, lo, hi, j, reach, knee, q1, NULL);
    } else {
        df_window(d, j, &lo, &hi);
        mu_ref = df_robust_line(d->vmu, 1, lo, hi, j, 1, reach, NULL, 0, NULL, &spread);
        /* the frames read through maps that left much unexplained count less: their
         * reading's uncertainty (d->vunc) is weighed against the flicker's own spread
         * about the line */
        spread = spread > 0.5 * q1 ? spread : 0.5 * q1;
        mu_ref = df_robust_line(d->vmu, 1, lo, hi, j, 1, reach, d->vunc, spread * spread, NULL, NULL);
        sd_ref = df_robust_line(d->vsd, 1, lo, hi, j, 1, reach, NULL, 0, NULL, NULL);
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
