/* smooth_blend.c: one output frame of temporal chroma smoothing (see smooth.h), and the
 * lazily computed pyramids, pair flows and pair gates it draws on.
 *
 * One output frame t. Its own chroma has weight 1. For each side (before, after) and each step
 * k = 1..r, the chain flow C_k(x) = C_{k-1}(x) + F(x + C_{k-1}(x)) (F the pair flow of step k,
 * sampled bilinearly) maps t's pixel x into frame t +- k. There, gray and chroma are sampled
 * bilinearly; the gray residual e = g_k(x + C_k) - g_t(x) has its median m (a global
 * brightness change: flicker) removed, and E = mean of (e - m)^2 over 5x5 pixels gives the
 * weight w = strength * exp(-E / (2 tol^2)). The weight is zero where the path leaves the frame
 * or where the pair's forward and backward flows disagree grossly (no match: occlusion), and
 * it never exceeds the previous step's weight at the same pixel (a path through an occlusion
 * stays untrusted). Each pair also has a gate, the share of its pixels that match at all: a
 * cut or a flash inside the window matches a few per cent, and the side stops there.
 * Output = sum(w c) / sum(w), rounded.
 *
 * The forward-backward tests and the gray-match weights are flow_match.c's, shared with
 * reference propagation.
 *
 * Determinism: every per-pixel value is computed by one thread in a fixed order of neighbours;
 * the only whole-frame statistics (the median and the match count) are integer histograms and
 * counts, filled serially. */
#include <math.h>
#include <string.h>

#include "smooth_impl.h"
#include "fr_bilinear.h"
#include "flow_match.h"

static const fr_flow_pyr *pyramid(fr_smooth *s, int j)
{
    int slot = j % s->cap;
    if (s->pyr_of[slot] != j) {
        size_t px = (size_t)s->size * s->size;
        fr_flow_prepare(s->flow, s->gray + slot * px, s->size, s->pyr[slot]);
        s->pyr_of[slot] = j;
    }
    return s->pyr[slot];
}

/* Flow of pair (j, j+1): forward maps frame j into j+1, backward maps j+1 into j. */
static const float *pair_flow(fr_smooth *s, int j, int forward)
{
    int slot = j % s->cap;
    int *of = forward ? s->fwd_of : s->bwd_of;
    float *uv = forward ? s->fwd[slot] : s->bwd[slot];
    if (of[slot] != j) {
        const fr_flow_pyr *a = pyramid(s, j), *b = pyramid(s, j + 1);
        if (forward)
            fr_flow_compute(s->flow, a, b, uv);
        else
            fr_flow_compute(s->flow, b, a, uv);
        of[slot] = j;
    }
    return uv;
}

/* Bilinear footprints (fr_bilinear.h), on the square planes of one shot. */
typedef fr_bilin bilin;
static inline bilin bilin_at(int w, float x, float y) { return fr_bilin_at(w, w, x, y); }
#define BILIN(p, n, k, b) FR_BILIN(p, n, k, b)

/* Step k of one side: extends the chain by pair flow F (from the previous frame of the chain
 * to frame j), checks it against the reverse flow R of the same pair, warps frame j (slot js)
 * to frame t (slot ts), and leaves residuals in s->res, warped chroma in s->wch and flags in
 * s->bad where the path leaves the frame or the two flows disagree (occlusion, no match). */
static void warp_step(fr_smooth *s, const float *F, const float *R, int first_step, int ts,
                      int js)
{
    int w = s->size;
    size_t px = (size_t)w * w;
    const uint8_t *gt = s->gray + ts * px, *gj = s->gray + js * px, *cj = s->chroma + js * 2 * px;
    float lim = (float)w - 0.5f;
#pragma omp parallel for num_threads(s->threads) schedule(static)
    for (int y = 0; y < w; y++) {
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            float *c = s->chain + 2 * i, u, v;
            if (first_step) {
                u = F[2 * i];
                v = F[2 * i + 1];
                c[0] = u;
                c[1] = v;
            } else {
                bilin bp = bilin_at(w, (float)x + c[0], (float)y + c[1]);
                u = BILIN(F, 2, 0, bp);
                v = BILIN(F, 2, 1, bp);
                c[0] += u;
                c[1] += v;
            }
            float qx = (float)x + c[0], qy = (float)y + c[1];
            if (!(qx > -0.5f && qy > -0.5f && qx < lim && qy < lim)) {
                s->res[i] = FR_MATCH_BAD;
                s->bad[i] = 1;
                s->wch[2 * i] = s->wch[2 * i + 1] = 128.0f;
                continue;
            }
            bilin bq = bilin_at(w, qx, qy);
            float ru = BILIN(R, 2, 0, bq), rv = BILIN(R, 2, 1, bq);
            float du = u + ru, dv = v + rv;
            s->bad[i] = FR_MATCH_FB_LOOSE(du * du + dv * dv, u * u + v * v + ru * ru + rv * rv);
            s->res[i] = BILIN(gj, 1, 0, bq) - (float)gt[i];
            s->wch[2 * i] = BILIN(cj, 2, 0, bq);
            s->wch[2 * i + 1] = BILIN(cj, 2, 1, bq);
        }
    }
}

/* How much the pair (j, j+1) can be trusted at all: the share of frame j (sampled every other
 * pixel and row) that frame j+1 matches along the forward flow, with the flows consistent both
 * ways and the gray within 2 tolerances after the median brightness change. Unrelated pictures
 * (a cut, a flash, a torn frame) match under a fifth (a few per cent on real cuts); consecutive
 * frames of even fast motion, about half or more. The gate fades from 1 at 35% to 0 at 20%. It depends on the two frames alone,
 * so it is computed once and cached with the pair. */
static float pair_gate(fr_smooth *s, int j)
{
    int slot = j % s->cap;
    if (s->gate_of[slot] == j)
        return s->gate[slot];
    const float *F = pair_flow(s, j, 1), *R = pair_flow(s, j, 0);
    int w = s->size, hw = (w + 1) / 2;
    size_t px = (size_t)w * w, n = (size_t)hw * hw;
    const uint8_t *ga = s->gray + slot * px, *gb = s->gray + ((j + 1) % s->cap) * px;
    float lim = (float)w - 0.5f;
#pragma omp parallel for num_threads(s->threads) schedule(static)
    for (int yy = 0; yy < hw; yy++)
        for (int xx = 0; xx < hw; xx++) {
            int x = 2 * xx, y = 2 * yy;
            size_t i = (size_t)y * w + x;
            float u = F[2 * i], v = F[2 * i + 1], qx = (float)x + u, qy = (float)y + v;
            float *e = s->res + (size_t)yy * hw + xx;
            *e = FR_MATCH_BAD;
            if (!(qx > -0.5f && qy > -0.5f && qx < lim && qy < lim))
                continue;
            bilin bq = bilin_at(w, qx, qy);
            float ru = BILIN(R, 2, 0, bq), rv = BILIN(R, 2, 1, bq);
            float du = u + ru, dv = v + rv;
            if (FR_MATCH_FB_STRICT(du * du + dv * dv, u * u + v * v + ru * ru + rv * rv))
                continue;
            *e = BILIN(gb, 1, 0, bq) - (float)ga[i];
        }
    float m = fr_match_median(s->res, n), tol2 = 2.0f * (float)s->o.tolerance;
    long good = 0;
    for (size_t i = 0; i < n; i++)
        good += s->res[i] < FR_MATCH_BAD && fabsf(s->res[i] - m) <= tol2;
    float g = ((float)good / (float)n - 0.2f) / 0.15f;
    g = g < 0 ? 0 : g > 1 ? 1 : g;
    s->gate_of[slot] = j;
    s->gate[slot] = g;
    return g;
}

/* Weights of one step (flow_match.h: zero where s->bad is set) and their blend into s->acc:
 * each is capped by the side's previous step (capw, every other float), then scaled by sg. */
static void blend_step(fr_smooth *s, float m, float inv, float sg, float *capw)
{
    int w = s->size;
    fr_match_weights(w, s->threads, s->res, s->bad, m, inv, s->box, s->wt, s->box);
#pragma omp parallel for num_threads(s->threads) schedule(static)
    for (int y = 0; y < w; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            float wt = s->box[i];
            if (wt > capw[2 * i])
                wt = capw[2 * i];
            capw[2 * i] = wt;
            wt *= sg;
            s->acc[3 * i] += wt * s->wch[2 * i];
            s->acc[3 * i + 1] += wt * s->wch[2 * i + 1];
            s->acc[3 * i + 2] += wt;
        }
}

void fr_smooth_blend(fr_smooth *s, int t, int lo, int hi, uint8_t *out)
{
    int w = s->size, r = fr_smooth_radius(s);
    size_t px = (size_t)w * w;
    int ts = t % s->cap;
    /* the gates use the scratch planes, so settle them before the blend starts */
    for (int j = lo; j < hi; j++)
        pair_gate(s, j);
    const uint8_t *ct = s->chroma + ts * 2 * px;
#pragma omp parallel for num_threads(s->threads) schedule(static)
    for (int y = 0; y < w; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            s->acc[3 * i] = ct[2 * i];
            s->acc[3 * i + 1] = ct[2 * i + 1];
            s->acc[3 * i + 2] = 1.0f;
            s->cap_w[2 * i] = s->cap_w[2 * i + 1] = 1.0f;
        }
    float inv = (float)(1.0 / (2.0 * s->o.tolerance * s->o.tolerance)) / 25.0f;
    float str = (float)s->o.strength;
    for (int side = -1; side <= 1; side += 2) {
        float gate = 1.0f;
        for (int k = 1; k <= r; k++) {
            int j = t + side * k, pair = side > 0 ? j - 1 : j;
            if (j < lo || j > hi)
                break;
            float g = pair_gate(s, pair);
            gate = gate < g ? gate : g;
            if (gate <= 0)
                break;
            const float *F = pair_flow(s, pair, side > 0), *R = pair_flow(s, pair, side < 0);
            warp_step(s, F, R, k == 1, ts, j % s->cap);
            blend_step(s, fr_match_median(s->res, px), inv, str * gate, s->cap_w + (side > 0));
        }
    }
#pragma omp parallel for num_threads(s->threads) schedule(static)
    for (int y = 0; y < w; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            for (int c = 0; c < 2; c++) {
                float v = floorf(s->acc[3 * i + c] / s->acc[3 * i + 2] + 0.5f);
                out[2 * i + c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
        }
}
