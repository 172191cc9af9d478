/* guide_prop.c: one step of carrying a reference's chroma along the motion (guide.h).
 *
 * State: D, the map from the previous frame to the reference frame, and C, its confidence.
 * For the current frame, B (current -> previous) and F (previous -> current) are the pair's
 * flows. At each pixel x: q = x + B(x); the forward-backward test (flow_match.h) at q; the map
 * D'(x) = B(x) + D(q) and the path's confidence C(q), both sampled bilinearly (fr_bilinear.h);
 * the reference's gray and chroma sampled at x + D'(x). The path's confidence is
 * C'(x) = C(q) * decay, and 0 from an occlusion on (the forward-backward test fails) or where the
 * path leaves the frame; the gray residual against the reference gives the match weight m, and
 * the pixel's weight in the blend is min(1, gain * C' * m) (left in g->wgt). */
#include <string.h>

#include "flow_match.h"
#include "fr_bilinear.h"
#include "guide_impl.h"

void fr_guide_prop_start(fr_guide *g)
{
    size_t px = (size_t)g->size * g->size;
    memset(g->D, 0, 2 * px * sizeof(float));
    for (size_t i = 0; i < px; i++)
        g->C[i] = 1.0f;
}

static inline int inside(float x, float y, float lim)
{
    return x > -0.5f && y > -0.5f && x < lim && y < lim;
}

void fr_guide_prop_step(fr_guide *g, int pp, const uint8_t *gc, const uint8_t *gr, const uint8_t *cr)
{
    int w = g->size;
    size_t px = (size_t)w * w;
    fr_flow_compute(g->flow, g->pyr[1 - pp], g->pyr[pp], g->B);
    fr_flow_compute(g->flow, g->pyr[pp], g->pyr[1 - pp], g->F);
    float lim = (float)w - 0.5f;
#pragma omp parallel for num_threads(g->threads) schedule(static)
    for (int y = 0; y < w; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            float u = g->B[2 * i], v = g->B[2 * i + 1], qx = (float)x + u, qy = (float)y + v;
            g->res[i] = FR_MATCH_BAD;
            g->bad[i] = 1;
            g->Dn[2 * i] = g->Dn[2 * i + 1] = 0.0f;
            g->Cn[i] = 0.0f;
            g->P[2 * i] = g->P[2 * i + 1] = 128;
            if (!inside(qx, qy, lim))
                continue;
            fr_bilin bq = fr_bilin_at(w, w, qx, qy);
            float fu = FR_BILIN(g->F, 2, 0, bq), fv = FR_BILIN(g->F, 2, 1, bq);
            float du = u + fu, dv = v + fv;
            int occluded = FR_MATCH_FB_LOOSE(du * du + dv * dv, u * u + v * v + fu * fu + fv * fv);
            float mx = u + FR_BILIN(g->D, 2, 0, bq), my = v + FR_BILIN(g->D, 2, 1, bq);
            g->Dn[2 * i] = mx;
            g->Dn[2 * i + 1] = my;
            g->Cn[i] = FR_BILIN(g->C, 1, 0, bq);
            float rx = (float)x + mx, ry = (float)y + my;
            if (!inside(rx, ry, lim))
                continue;
            fr_bilin br = fr_bilin_at(w, w, rx, ry);
            float cb = FR_BILIN(cr, 2, 0, br) + 0.5f, cc = FR_BILIN(cr, 2, 1, br) + 0.5f;
            g->P[2 * i] = (uint8_t)(cb < 0 ? 0 : cb > 255 ? 255 : (int)cb);
            g->P[2 * i + 1] = (uint8_t)(cc < 0 ? 0 : cc > 255 ? 255 : (int)cc);
            g->res[i] = FR_BILIN(gr, 1, 0, br) - (float)gc[i];
            g->bad[i] = (uint8_t)occluded;
        }
    float inv = 1.0f / (2.0f * FR_GUIDE_TOLERANCE * FR_GUIDE_TOLERANCE) / 25.0f;
    fr_match_weights(w, g->threads, g->res, g->bad, fr_match_median(g->res, px), inv, g->d2, g->hsum,
                     g->wgt);
#pragma omp parallel for num_threads(g->threads) schedule(static)
    for (int y = 0; y < w; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            g->Cn[i] = g->bad[i] ? 0.0f : g->Cn[i] * FR_GUIDE_DECAY;
            float wv = FR_GUIDE_GAIN * g->Cn[i] * g->wgt[i];
            g->wgt[i] = wv < 1.0f ? wv : 1.0f;
        }
    float *t = g->D;
    g->D = g->Dn;
    g->Dn = t;
    t = g->C;
    g->C = g->Cn;
    g->Cn = t;
}
