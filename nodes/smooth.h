/* smooth.h: temporal chroma smoothing along motion, inside one shot.
 *
 * For each frame t of a shot, the chroma of its neighbours t-r..t+r (r = radius) is warped to
 * frame t along the optical flow of the gray planes (nodes/flow.h), and blended with t's own
 * chroma. A neighbour's weight at a pixel is how well its warped gray matches t's gray there
 * (after a global brightness offset, for flicker), so occluded or disoccluded pixels, wrong
 * flow, and a cut inside the window get no weight, and moving objects leave no colour trail.
 * Only consecutive pairs are matched (flows t->t+1 and t+1->t); farther neighbours follow the
 * chained flow, and a neighbour is never trusted more than the nearer one it is reached through.
 *
 * Data (as in nodes/fr_generator.h), at render size s x s:
 *   gray:   s*s bytes, full range;  chroma: s*s*2 bytes, interleaved (Cb, Cr), 128 neutral.
 *
 * Locality, which makes streaming and distribution exact: the output for frame i depends only
 * on frames max(lo, i-r) .. min(hi, i+r), where lo and hi are the first and last frame given,
 * and on the settings; never on thread counts, on how the frames were split into calls, or on
 * anything else in flight. A long shot can therefore be cut into segments [a, b) processed
 * anywhere: give each the frames max(shot start, a-r) .. min(shot end, b+r) and keep the
 * outputs for [a, b); the bytes equal a single pass over the whole shot.
 *
 * Three ways to call it, all with the same results:
 *
 *   1. A segment in memory (contiguous frames, as in a batch or the store):
 *        fr_smooth_run(s, gray, chroma, n, first, count, out, &err);
 *      smooths frames first..first+count-1 of the n given, using the others as context.
 *
 *   2. Streaming, bounded memory (2r+2 frames are kept), e.g. reading the store frame by frame:
 *        fr_smooth_begin(s, first, count);          // count < 0: up to fr_smooth_finish
 *        for each frame i of the segment (i = 0, 1, ...):
 *            fr_smooth_push(s, gray_i, chroma_i, &err);
 *            while (fr_smooth_pop(s, out, &idx, &err) == FR_OK) write out as frame idx;
 *        fr_smooth_finish(s);                       // no more frames: the shot ends here
 *        while (fr_smooth_pop(s, out, &idx, &err) == FR_OK) write out as frame idx;
 *      Pop until FR_EOF after every push; pushing further with outputs pending is an error.
 *
 *   3. One frame from its window: fr_smooth_frame(s, grays, chromas, n, center, out, &err).
 *
 * Cost: two flows a frame when streaming or in a segment (each pair is matched once), plus
 * the warps; method 3 matches 2r pairs per call. A handle holds all its buffers (planned at
 * _new for one size, no allocation per frame) and is used by one caller at a time; it
 * parallelises internally with OpenMP, by rows. */
#ifndef FR_SMOOTH_H
#define FR_SMOOTH_H

#include <stddef.h>
#include <stdint.h>

#include "fr_status.h"

#define FR_SMOOTH_MAX_RADIUS 16

typedef struct {
    int enabled;     /* 0: the output is the input chroma, unchanged (`--smoothing off`) */
    int radius;      /* neighbours on each side, 0..FR_SMOOTH_MAX_RADIUS (default 3) */
    double strength; /* 0..1: weight of a perfectly matching neighbour against the frame's own
                        weight of 1; 0 disables (default 1) */
    double tolerance;/* gray mismatch (RMS levels over 5x5 pixels) at which a neighbour's weight
                        falls to exp(-1/2); larger trusts more (default 6) */
    int threads;     /* OpenMP threads; 0 = omp_get_max_threads() (OMP_NUM_THREADS) */
} fr_smooth_opts;

void fr_smooth_opts_default(fr_smooth_opts *o);

/* Parses "off", "on", or comma-separated settings over the current values, e.g.
 * "radius=2,strength=0.8,tolerance=6" (an "on," prefix is allowed). FR_ERR_ARG on bad text. */
fr_status fr_smooth_opts_parse(fr_smooth_opts *o, const char *text, fr_err *err);

/* Canonical text of the settings that change output ("off" or
 * "radius=3,strength=1,tolerance=6,flow=dis1"), for the store's settings check. */
void fr_smooth_opts_format(const fr_smooth_opts *o, char *buf, size_t len);

typedef struct fr_smooth fr_smooth;

/* A smoother for s x s frames; opts NULL = defaults. */
fr_status fr_smooth_new(fr_smooth **out, int size, const fr_smooth_opts *opts, fr_err *err);
void fr_smooth_free(fr_smooth *s);

/* Streaming (see above). begin starts a new run and forgets the previous one; frames pushed
 * are numbered 0, 1, ... from there; outputs are produced for indices first..first+count-1
 * (count < 0: up to the last frame pushed before fr_smooth_finish). */
void fr_smooth_begin(fr_smooth *s, int first, int count);
fr_status fr_smooth_push(fr_smooth *s, const uint8_t *gray, const uint8_t *chroma, fr_err *err);
void fr_smooth_finish(fr_smooth *s);
/* Writes the next output (s*s*2 bytes) and its index: FR_OK; FR_EOF when none is ready yet
 * (or the run is done). */
fr_status fr_smooth_pop(fr_smooth *s, uint8_t *chroma_out, int *index, fr_err *err);

/* n contiguous frames of one shot (gray n*s*s bytes, chroma n*s*s*2); writes count frames of
 * output (first..first+count-1; count < 0: to the end) into out. */
fr_status fr_smooth_run(fr_smooth *s, const uint8_t *gray, const uint8_t *chroma, int n,
                        int first, int count, uint8_t *out, fr_err *err);

/* Frame `center` of a window of n consecutive frames of one shot, given by pointers. */
fr_status fr_smooth_frame(fr_smooth *s, const uint8_t *const *gray,
                          const uint8_t *const *chroma, int n, int center, uint8_t *out,
                          fr_err *err);

#endif
