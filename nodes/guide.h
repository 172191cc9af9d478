/* guide.h: a colourist's reference frames guide the chroma of one shot (docs/references.md).
 *
 * Given the n frames of one shot (gray, and the chroma the pipeline would otherwise output:
 * the model's, smoothed) and the chroma of one or more reference frames inside it, the guide
 * writes new chroma for the whole shot:
 *
 *   - each reference is carried forward and backward along the motion, up to the next
 *     reference (or the shot's end), by chaining the pair flows of the smoother (flow.h):
 *     a map D_t from frame t to the reference frame is composed frame by frame,
 *     D_t(x) = B(x) + D_{t-1}(x + B(x)) (B the flow from t to t-1), and the reference is
 *     sampled once at x + D_t(x), so its colour is not blurred by repeated resampling;
 *   - a path's confidence falls by a fixed factor a frame (distance) and is zero from an
 *     occlusion on (the pair's forward and backward flows disagree) or where the path leaves the
 *     frame; a pixel's weight is min(1, 4 * confidence * m), m the gray match between frame t and
 *     the reference frame along the map (flow_match.h: median-free residual over 5 x 5 pixels);
 *   - the model's chroma is first matched to the references' colour statistics (mean and
 *     covariance of (Cb, Cr), compared on the reference frames themselves: guide_stats.c);
 *   - frame t's output is (wf Pf + wb Pb + w0 M) / (wf + wb + w0), with Pf, wf the nearest
 *     earlier reference's propagated chroma and confidence, Pb, wb the nearest later one's, M the
 *     matched model chroma and w0 = (1 - wf)(1 - wb). A reference frame is its reference.
 *     (The caller, node.c, then smooths the result as the model's chroma is smoothed, and puts
 *     the reference frames back.)
 *
 * Never across a cut: the caller gives one shot. Deterministic: every per-pixel value is
 * computed by one thread, whole-frame statistics serially, so the bytes do not depend on the
 * thread count or on which rank runs the shot. Memory: the handle holds per-frame state for
 * one pass (2 bytes a pixel a frame of the shot) beside a few planes. */
#ifndef FR_GUIDE_H
#define FR_GUIDE_H

#include <stddef.h>
#include <stdint.h>

#include "fr_status.h"

typedef struct fr_guide fr_guide;

/* Canonical text of the method and its constants: part of each guided shot's hash in the store,
 * so a change of method re-runs the shots. */
const char *fr_guide_settings(void);

/* A guide for size x size frames; threads 0 = omp_get_max_threads(). */
fr_status fr_guide_new(fr_guide **out, int size, int threads, fr_err *err);
void fr_guide_free(fr_guide *g);

/* n frames of one shot: gray n*s*s bytes, chroma n*s*s*2; nref references at frames at[]
 * (strictly increasing, in [0, n)) with chroma ref (nref*s*s*2). Writes n*s*s*2 bytes to out. */
fr_status fr_guide_shot(fr_guide *g, const uint8_t *gray, const uint8_t *chroma, int n,
                        const int32_t *at, const uint8_t *ref, int nref, uint8_t *out, fr_err *err);

#endif
