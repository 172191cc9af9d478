/* guide_stats.c: matching the model's colour statistics to a shot's references (guide.h).
 *
 * Where motion cannot carry a reference (new objects, long shots), the model's chroma is used,
 * but corrected: on the reference frames both the model's chroma m and the reference's r are
 * known at the same pixels, so their means and 2x2 covariances give the transfer
 * M = mu_r + A (m - mu_m), A = Sr^1/2 Sm^-1/2 (symmetric square roots). It removes the model's
 * cast and scales its saturation to the reference's. Sm is regularised by 4 levels^2 (a model
 * that gives almost no colour then maps to the reference's mean), and A's Frobenius norm is
 * capped at 4, so noise is never blown up. Sums are exact integers, so the fit is the same
 * bytes everywhere. */
#include <math.h>

#include "guide_impl.h"

typedef struct {
    int64_t n, s[2], ss[3]; /* count, sums, sums of products (00, 01, 11) */
} moments;

static void add(moments *m, int a, int b)
{
    m->n++;
    m->s[0] += a;
    m->s[1] += b;
    m->ss[0] += (int64_t)a * a;
    m->ss[1] += (int64_t)a * b;
    m->ss[2] += (int64_t)b * b;
}

/* Mean and covariance (a, b; b, c) as doubles. */
static void finish(const moments *m, double mu[2], double cov[3])
{
    double n = (double)m->n;
    mu[0] = (double)m->s[0] / n;
    mu[1] = (double)m->s[1] / n;
    cov[0] = (double)m->ss[0] / n - mu[0] * mu[0];
    cov[1] = (double)m->ss[1] / n - mu[0] * mu[1];
    cov[2] = (double)m->ss[2] / n - mu[1] * mu[1];
}

/* Square root of the symmetric positive semi-definite (a, b; b, c), closed form. */
static void sqrtm(const double m[3], double r[3])
{
    double det = m[0] * m[2] - m[1] * m[1];
    double s = sqrt(det > 0 ? det : 0), t = sqrt(m[0] + m[2] + 2 * s);
    if (t <= 0) {
        r[0] = r[1] = r[2] = 0;
        return;
    }
    r[0] = (m[0] + s) / t;
    r[1] = m[1] / t;
    r[2] = (m[2] + s) / t;
}

void fr_guide_stats_fit(fr_guide *g, const uint8_t *chroma, const int32_t *at, const uint8_t *ref,
                        int nref)
{
    size_t px = (size_t)g->size * g->size;
    moments mm = {0}, mr = {0};
    for (int k = 0; k < nref; k++) {
        const uint8_t *m = chroma + (size_t)at[k] * 2 * px, *r = ref + (size_t)k * 2 * px;
        for (size_t i = 0; i < px; i++) {
            add(&mm, m[2 * i], m[2 * i + 1]);
            add(&mr, r[2 * i], r[2 * i + 1]);
        }
    }
    double mu_m[2], mu_r[2], cm[3], cr[3], sm[3], sr[3];
    finish(&mm, mu_m, cm);
    finish(&mr, mu_r, cr);
    cm[0] += 4.0;
    cm[2] += 4.0;
    sqrtm(cm, sm);
    sqrtm(cr, sr);
    double det = sm[0] * sm[2] - sm[1] * sm[1];
    double inv[3] = {sm[2] / det, -sm[1] / det, sm[0] / det};
    double A[4] = {sr[0] * inv[0] + sr[1] * inv[1], sr[0] * inv[1] + sr[1] * inv[2],
                   sr[1] * inv[0] + sr[2] * inv[1], sr[1] * inv[1] + sr[2] * inv[2]};
    double norm = sqrt(A[0] * A[0] + A[1] * A[1] + A[2] * A[2] + A[3] * A[3]);
    double scale = norm > 4.0 ? 4.0 / norm : 1.0;
    for (int i = 0; i < 4; i++)
        g->A[i] = (float)(A[i] * scale);
    for (int i = 0; i < 2; i++) {
        g->mu_m[i] = (float)mu_m[i];
        g->mu_r[i] = (float)mu_r[i];
    }
}
