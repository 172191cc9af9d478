/* guide_impl.h: the reference guide's private state, shared by guide.c (the shot: passes and
 * blend), guide_prop.c (one propagation step) and guide_stats.c (colour statistics). */
#ifndef FR_GUIDE_IMPL_H
#define FR_GUIDE_IMPL_H

#include "flow.h"
#include "guide.h"

#define FR_GUIDE_DECAY 0.995f   /* confidence kept per frame of distance */
#define FR_GUIDE_TOLERANCE 10.0f
#define FR_GUIDE_GAIN 4.0f       /* blend weight = min(1, gain * confidence * gray match) */ /* gray mismatch (RMS levels, 5x5) at which confidence is e^-1/2 */

struct fr_guide {
    int size, threads;
    fr_flow *flow;
    fr_flow_pyr *pyr[2];   /* the two frames of the current pair */
    float *B, *F;          /* pair flows: current -> previous, previous -> current (2 a pixel) */
    float *D, *Dn;         /* map to the reference frame, this step and the next (2 a pixel) */
    float *C, *Cn;         /* the path's confidence, this step and the next */
    float *res, *d2, *hsum; /* gray residual and the match weights' scratch */
    float *wgt;            /* the gray match, then the blend weight of the current frame */
    uint8_t *bad;          /* 1 where the path leaves the frame or finds no match */
    uint8_t *P;            /* propagated chroma of the current frame (2 a pixel) */
    uint16_t *wf;          /* forward confidence of every frame of the shot, x 65535 */
    size_t wf_cap;         /* frames wf holds */
    float A[4], mu_m[2], mu_r[2]; /* colour transfer: M = mu_r + A (m - mu_m) */
};

/* Starts a pass at reference frame: D = 0, C = 1. */
void fr_guide_prop_start(fr_guide *g);
/* One step from the previous frame (prepared in pyr[pp]) to the current one (gray gc,
 * prepared in pyr[1-pp]) with the reference's gray gr and chroma cr: leaves the chroma in g->P,
 * the path's confidence in g->C and the pixel's blend weight in g->wgt. */
void fr_guide_prop_step(fr_guide *g, int pp, const uint8_t *gc, const uint8_t *gr, const uint8_t *cr);

/* Fits the colour transfer from the model's chroma to the references' on the reference frames. */
void fr_guide_stats_fit(fr_guide *g, const uint8_t *chroma, const int32_t *at, const uint8_t *ref,
                        int nref);
/* The model's chroma (Cb, Cr) at one pixel after the transfer. */
static inline void fr_guide_stats_apply(const fr_guide *g, const uint8_t *m, float out[2])
{
    float a = (float)m[0] - g->mu_m[0], b = (float)m[1] - g->mu_m[1];
    out[0] = g->mu_r[0] + g->A[0] * a + g->A[1] * b;
    out[1] = g->mu_r[1] + g->A[2] * a + g->A[3] * b;
}

#endif
