/* restore_deflicker_fit.c: the deflicker stage's fits: a robust local line in time (Huber,
 * then Tukey's biweight), a line with one knee, how smooth a run of residuals is, and the
 * smooth surface (12 terms) fitted to the cells' gains over the frame. See
 * restore_deflicker.c for the stage as a whole. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "restore_deflicker_impl.h"

/* Robust local linear fit of v[k] (k = lo..hi, stride apart in memory) evaluated at j: Huber
 * weights, then (tukey) Tukey's biweight at the Huber fit's scale; with reach > 0 each point's
 * weight is also scaled by a triangle in time, 1 - |k - j| / (reach + 1), so the frames near
 * j count most and a bend of the trend far from j pulls the line less; with unc, by
 * s2 / (s2 + unc[k]), unc[k] the variance of point k's own error beside the scatter s2. The
 * RMS residual of all the points goes to *rms, the robust spread of the residuals (1.4826
 * times their median absolute value) to *spread, where not NULL. */
double df_robust_line(const double *v, size_t stride, int lo, int hi, int j, int tukey, int reach,
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
double df_surface_at(const deflicker *d, const double *coef, int c)
{
    double t[DF_TERMS], s = 0;
    cell_terms(d, c, t);
    for (int k = 0; k < DF_TERMS; k++)
        s += coef[k] * t[k];
    return s;
}

/* Robust surface through the cells' log gains; coef gets DF_TERMS values. */
void df_fit_surface(const deflicker *d, const double *lg, double *coef)
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
            res[c] = fabs(lg[c] - df_surface_at(d, coef, c));
            r[c] = (float)res[c];
        }
        double mad = 1.4826 * fr_rs_median(r, cells);
        double cut = 1.5 * (mad > 0.002 ? mad : 0.002);
        for (int c = 0; c < cells; c++)
            w[c] = res[c] <= cut ? 1.0 : cut / res[c];
    }
}

/* Durbin-Watson statistic of v[lo..hi]'s residuals about their least-squares line: near 2
 * where they jump from frame to frame (flicker), near 0 where they run smooth in time (a
 * bend of the trend: a fade starting or ending). */
double df_bend_smoothness(const double *v, int lo, int hi)
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

/* The knee line's value at a point's terms x (1, k - j, max(0, k - s)), np of them used. */
static double knee_at(const double *coef, const double *x, int np)
{
    return coef[0] + coef[1] * x[1] + (np == 3 ? coef[2] * x[2] : 0);
}

/* Robust fit of v[lo..hi] by a line with a knee at s, a + b (k - j) + c max(0, k - s) (no
 * knee where s >= hi): Huber weights at scale, the points weighted by the triangle in time
 * as df_robust_line does. Returns the fit at j; *cost, where not NULL, gets the weighted Huber
 * cost in units of scale squared. */
double df_knee_fit(const double *v, int lo, int hi, int j, int reach, int s, double scale, double *cost)
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
