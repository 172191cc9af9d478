/* flow_match.h: how far to trust a pixel carried along the optical flow, shared by temporal
 * smoothing (smooth_blend.c) and reference propagation (guide_prop.c).
 *
 * Two tests, both on the gray planes only:
 *   - forward-backward consistency (Sundaram et al. 2010): a pixel carried by the flow f of a
 *     pair and brought back by the reverse flow b should land where it started; |f + b|^2 is
 *     compared with k (|f|^2 + |b|^2) + c. The loose test (3 px, +10% of the motion) finds no
 *     match at all (occlusion); the strict one (1.4 px, +5%) tells a cut from motion;
 *   - the gray match: the residual e = (warped gray) - (gray here), with its median (a global
 *     brightness change: flicker) removed, squared and summed over 5 x 5 pixels, gives
 *     w = exp(-E * inv). A pixel whose path left the frame has the residual FR_MATCH_BAD.
 *
 * Determinism: the median comes from an integer histogram filled serially; each weight is
 * computed by one thread, its sums added in a fixed order whatever the row split. */
#ifndef FR_FLOW_MATCH_H
#define FR_FLOW_MATCH_H

#include <stddef.h>
#include <stdint.h>

#define FR_MATCH_BAD 255.0f /* residual of a pixel whose path leaves the frame */
#define FR_MATCH_FB_LOOSE(e, m) ((e) > 0.1f * (m) + 9.0f)
#define FR_MATCH_FB_STRICT(e, m) ((e) > 0.05f * (m) + 2.0f)

/* Median of the first n residuals that are not FR_MATCH_BAD, rounded to a level (0 if none). */
float fr_match_median(const float *res, size_t n);

/* Weights of a w x w plane of residuals res (median m removed): wout[i] = exp(-E * inv), E the
 * 5 x 5 sum (mirrored edges) of squared residuals, and 0 where bad[i] is set. d2 and hsum are
 * w*w scratch floats; wout may be d2. */
void fr_match_weights(int w, int threads, const float *res, const uint8_t *bad, float m, float inv,
                      float *d2, float *hsum, float *wout);

#endif
