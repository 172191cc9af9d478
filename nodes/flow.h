/* flow.h: dense optical flow between two gray planes, for grainy and flickery film.
 *
 * The method is a pyramidal patch search in the spirit of DIS (Kroeger et al. 2016, "Fast
 * optical flow using dense inverse search"): on each level of an image pyramid, coarse to fine,
 * small overlapping patches of the first frame are aligned to the second by inverse-compositional
 * Lucas-Kanade, starting from the coarser level's flow; the patch flows are then blended into a
 * dense field, each patch weighted per pixel by how well it explains that pixel. Old films
 * flicker, so brightness is taken out of the matching twice: each frame is normalised to a fixed
 * mean and contrast before its pyramid is built, and every patch is matched after removing its
 * mean difference. Grain is averaged out by the patches and by stopping the search at half
 * resolution (the default finest level); the field is then upsampled.
 *
 * Example, flow from frame a to frame b (both size*size gray bytes):
 *
 *     fr_flow *f; fr_flow_pyr *pa, *pb; fr_err err;
 *     fr_flow_opts o; fr_flow_opts_default(&o);
 *     fr_flow_new(&f, size, size, &o, &err);
 *     fr_flow_pyr_new(&pa, f, &err); fr_flow_pyr_new(&pb, f, &err);
 *     fr_flow_prepare(f, a, size, pa); fr_flow_prepare(f, b, size, pb);
 *     float *uv = malloc(sizeof(float) * 2 * size * size);
 *     fr_flow_compute(f, pa, pb, uv);   // a(x, y) ~ b(x + uv[2i], y + uv[2i+1]), i = y*size + x
 *
 * A prepared frame (fr_flow_pyr) is reusable: a frame in a sequence is prepared once and serves
 * as the first frame of one pair and the second of another.
 *
 * Determinism: every output value is computed by one thread from inputs fixed before the
 * parallel loop (work is split by patch rows and pixel rows, never by a shared reduction), so the
 * result is byte-identical whatever the thread count. The plan (fr_flow) owns scratch memory and
 * is used by one caller at a time; it parallelises internally with OpenMP. */
#ifndef FR_FLOW_H
#define FR_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include "fr_status.h"

#define FR_FLOW_MAX_LEVELS 8

typedef struct {
    int finest_level; /* finest pyramid level searched: 0 = full size, 1 = half (default) */
    int patch;        /* patch side in pixels at every level (default 8) */
    int stride;       /* distance between patch origins (default 4) */
    int iterations;   /* Lucas-Kanade iterations per patch (default 12) */
    int min_coarse;   /* the coarsest level keeps at least this many pixels a side (default 16) */
    int threads;      /* OpenMP threads; 0 = omp_get_max_threads() (OMP_NUM_THREADS) */
} fr_flow_opts;

typedef struct fr_flow fr_flow;         /* plan and scratch for one frame size */
typedef struct fr_flow_pyr fr_flow_pyr; /* one frame prepared for matching */

void fr_flow_opts_default(fr_flow_opts *o);

/* opts may be NULL for the defaults. Fails with FR_ERR_ARG on a size smaller than a patch or
 * settings out of range, FR_ERR_NOMEM when allocation fails. */
fr_status fr_flow_new(fr_flow **out, int width, int height, const fr_flow_opts *opts, fr_err *err);
void fr_flow_free(fr_flow *f);

/* A prepared frame sized for plan f; filled by fr_flow_prepare. */
fr_status fr_flow_pyr_new(fr_flow_pyr **out, const fr_flow *f, fr_err *err);
void fr_flow_pyr_free(fr_flow_pyr *p);

/* Builds p from a width*height gray plane whose rows are linesize bytes apart. */
void fr_flow_prepare(fr_flow *f, const uint8_t *gray, ptrdiff_t linesize, fr_flow_pyr *p);

/* Dense flow from a to b: uv holds width*height (u, v) pairs, interleaved, row-major, such
 * that pixel (x, y) of a shows what b shows at (x + u, y + v). Positions may fall outside b
 * where content leaves the frame. */
void fr_flow_compute(fr_flow *f, const fr_flow_pyr *a, const fr_flow_pyr *b, float *uv);

#endif
