/* restore.h: film restoration on a node's luma, before the generator sees a frame.
 *
 * Each restoration stage (deflicker, dust, scratches, denoise, regrain) is a filter over a
 * window of consecutive frames of ONE shot, at the source's resolution and depth. Samples
 * are uint16_t whatever the depth (an 8-bit source is widened, bits = 8), tightly packed
 * (width*height a frame), in the source's range (limited or full, as decoded).
 *
 * Locality, which makes segments exact (as for nodes/smooth.h): a stage with radius R
 * writes frame j of its output from frames max(0, j-R) .. min(n-1, j+R) of its input, the
 * frame's index in the film (for seeds) and its settings only; never from n, the window's
 * position, thread counts or anything else. Window edges are treated as shot edges. So a
 * segment [a, b) of a shot, given the frames [a-R, b+R) clipped to the shot, gives the
 * same bytes as the whole shot at once; chained stages add their radii.
 *
 * Determinism: integer or fixed-order float arithmetic only, no data-dependent thread
 * splits, no random numbers but ones seeded by the film's frame index. */
#ifndef FR_RESTORE_H
#define FR_RESTORE_H

#include <stddef.h>
#include <stdint.h>

#include "fr_plane.h"
#include "fr_status.h"

typedef struct {
    int width, height;   /* luma size */
    int bits;            /* significant bits: 8..16 */
    int full_range;      /* 1: 0..max; 0: limited (16..235 scaled to bits) */
    int n;               /* frames in the window */
    int64_t first_index; /* the film's frame index of frame 0 */
    uint16_t **frame;    /* n planes of width*height samples */
} fr_luma_window;

/* A decoded luma plane (fr_plane.h) widened into a packed 16-bit plane, and back: a
 * window's plane k as an fr_plane of the source's depth. An 8-bit source is narrowed
 * into `narrow` (an 8-bit plane of the same size); a deeper one is borrowed as it is. */
void fr_luma_widen(const fr_plane *src, uint16_t *dst);
void fr_luma_view(const fr_luma_window *w, int k, fr_plane *narrow, fr_plane *out);

/* One restoration filter; each lives in its own nodes/restore_NAME.c. The stage table
 * (nodes/stage.h) holds one row for each, which calls these. */
typedef struct {
    const char *name;                 /* "deflicker", "dust", "scratches", "denoise", "regrain" */
    int (*radius)(double strength);   /* context frames it reads on each side */
    /* A filter for width x height frames at that depth; strength in (0, 1]; threads as
     * OpenMP's (0: omp_get_max_threads()), never changing the bytes. */
    fr_status (*open)(void **ctx, int width, int height, int bits, double strength, int threads, fr_err *err);
    /* Writes every frame of out (same size and n as in, separate planes). */
    fr_status (*run)(void *ctx, const fr_luma_window *in, fr_luma_window *out, fr_err *err);
    void (*close)(void *ctx);
} fr_restore_filter;

extern const fr_restore_filter fr_restore_deflicker, fr_restore_dust, fr_restore_scratches, fr_restore_denoise,
    fr_restore_regrain;

#endif
