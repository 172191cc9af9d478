/* restore_impl.h: what the restoration filters (nodes/restore_*.c) share, private to them:
 * argument checks, the 8-bit planes and flow fields they match frames with, motion-
 * compensated warps, noise estimates and a few small image operations.
 *
 * Motion (fr_rs_motion): frames are box-downscaled by an integer factor (so the matched plane
 * is at most about FR_RS_FLOW_SIDE pixels wide) and shifted to 8 bits, prepared once for
 * nodes/flow.h, and kept in a few slots keyed by the frame's position in the window; a
 * flow field is computed at that size and sampled bilinearly (scaled by the factor) at full
 * resolution. A flow depends on its two frames only, so every output stays local.
 *
 * Determinism: every loop here splits work by rows, each output written by one thread from
 * inputs fixed before the loop; sums that feed decisions are integer or serial. */
#ifndef FR_RESTORE_IMPL_H
#define FR_RESTORE_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "flow.h"
#include "restore.h"

#define FR_RS_FLOW_SIDE 512 /* widest plane the flow matches */
#define FR_RS_FLOW_HALF 400 /* from this width on, the flow's finest search is at half size */
#define FR_RS_INVALID (-1.0f)  /* a warped sample that fell outside its source */

/* Common argument checks of run(): sizes and depth as opened, n >= 0, planes present. */
fr_status fr_rs_check(const char *name, int width, int height, int bits, const fr_luma_window *in,
                      const fr_luma_window *out, fr_err *err);
int fr_rs_threads(int threads);
/* Nominal black and white codes (limited or full range) at that depth. */
void fr_rs_range(int bits, int full_range, double *black, double *white);

typedef struct {
    int w, h, f, sw, sh, slots, threads;
    fr_flow *flow;
    fr_flow_pyr **pyr;
    int *key;          /* window index held in each slot, -1: none */
    const uint16_t **src;
    uint8_t *g8;       /* sw*sh scratch */
    float *uv;         /* sw*sh*2 scratch */
} fr_rs_motion;

fr_status fr_rs_motion_init(fr_rs_motion *m, int w, int h, int bits, int slots, int threads,
                            fr_err *err);
void fr_rs_motion_release(fr_rs_motion *m);
/* Forgets every prepared frame (a new window). */
void fr_rs_motion_reset(fr_rs_motion *m);
/* Flow from frame a to frame b of the window (uv at sw x sh, in downscaled pixels):
 * a(x) shows what b shows at x + uv. Frames are prepared on demand into a slot (slot = idx
 * mod slots); bits is the plane's depth. Writes into out (sw*sh*2 floats). */
void fr_rs_motion_flow(fr_rs_motion *m, const fr_luma_window *win, int a, int b, float *out);

/* dst (w x h floats) = src warped along a downscaled flow: dst(x) = src(x + U(x)) where U is
 * uv (sw x sh) sampled bilinearly and scaled by f; FR_RS_INVALID where x + U leaves the
 * frame by more than half a pixel. sw is at most FR_RS_FLOW_SIDE (as fr_rs_motion makes it).
 * Returns nothing; threads by rows. */
void fr_rs_warp(const uint16_t *src, int w, int h, const float *uv, int sw, int sh, int f,
                float *dst, int threads);

/* Box-downscales a bits-deep plane by f and shifts it to 8 bits (dw = w / f, dh = h / f). */
void fr_rs_gray8(const uint16_t *src, int w, int h, int bits, int f, uint8_t *dst, int threads);

/* Robust noise level of plane a against b (floats, FR_RS_INVALID skipped): 1.4826 * the
 * median absolute difference over a sparse grid, / sqrt(2), after removing the median
 * difference. In codes. Serial, deterministic. */
double fr_rs_noise_pair(const uint16_t *a, const float *b, int w, int h);

/* Gain and offset that map b's statistics onto a's (a ~ gain * b + offset), from means and
 * standard deviations over a sparse grid of valid samples. */
void fr_rs_match(const uint16_t *a, const float *b, int w, int h, double *gain, double *offset);

/* Grain level as a function of brightness: for each of FR_RS_BINS luma bands (by the top 3
 * bits of I), 1.4826 * the median |I - warped neighbour| / sqrt(2) over a sparse grid of
 * FR_RS_NGRID^2 points and the first two of the nw warped planes; bands with too few samples
 * take the global level. sample holds FR_RS_NSAMPLE floats of scratch. Serial. */
#define FR_RS_BINS 8
#define FR_RS_NGRID 96
#define FR_RS_NSAMPLE ((FR_RS_BINS + 2) * FR_RS_NGRID * FR_RS_NGRID)
void fr_rs_noise_curve(const uint16_t *I, int w, int h, int bits, float *const *wp, int nw, float *sample,
                       double *sig);

/* The same levels measured within the frame, from the discrete Laplacian's robust spread
 * at the same grid points, per band (1.4826 * median |4I - the 4 neighbours| / sqrt(20)).
 * Picture detail raises it, motion does not: a bound on the grain where the warped
 * neighbours disagree for other reasons (fast motion, flow errors). Serial. */
void fr_rs_noise_spatial(const uint16_t *I, int w, int h, int bits, float *sample, double *sig);

/* Quickselect median of n floats (reorders v). */
float fr_rs_median(float *v, int n);

/* The discrete 4-neighbour Laplacian of I (w wide) at pixel i, not on the border: sqrt(20)
 * times the noise on white noise, little on smooth picture. */
static inline int fr_rs_laplace(const uint16_t *I, int w, size_t i)
{
    return 4 * (int)I[i] - (int)I[i - 1] - (int)I[i + 1] - (int)I[i - (size_t)w] - (int)I[i + (size_t)w];
}

static inline uint16_t fr_rs_clamp(double v, int maxv)
{
    return v <= 0 ? 0 : v >= maxv ? (uint16_t)maxv : (uint16_t)(v + 0.5);
}

#endif
