/* restore_deflicker_map.c: how the deflicker stage tells light from content: each pair of
 * consecutive frames matched along the flow on small planes, the map (gain and offset) of
 * one's brightness onto the other's and what it leaves unexplained, and the chain of maps
 * that reads frame j's mean and deviation in the frames around it. See restore_deflicker.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "restore_deflicker_impl.h"

/* A small plane, rounded to 8 bits, prepared for the flow into pyr. */
void df_prepare(deflicker *d, const float *small, fr_flow_pyr *pyr)
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
void df_pair(deflicker *d, int k, int slot, df_map *m)
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
void df_chain(deflicker *d, int j, int lo, int hi)
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
