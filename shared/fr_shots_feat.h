/* fr_shots_feat.h: the shot detector's per-frame thumbnails and the measures
 * between them. The nodes make the thumbnails of their chunks of the film
 * (fr_thumb_make, then fr_thumb_pack); rank 0 unpacks them and runs the detector's
 * decisions over the whole series (coordinator/shots.c).
 *
 * A thumbnail is the frame box-averaged onto a small grid, less its best-fitting
 * plane (mean and left-right, top-bottom slopes), then normalised to unit contrast, so that a change of global brightness or
 * contrast (flicker, a fade) leaves it as it was. Each thumbnail also carries a
 * histogram of its normalised values, so that comparing two frames costs a few
 * passes over the grid, and its contrast after a 3x3 median of the cells (rsigma),
 * which dust and line scratches do not raise: a black frame that carries them is
 * still blank to the detector.
 *
 * An edge change ratio was tried and dropped: at thumbnail scale the edge maps
 * of soft, low-contrast footage (underwater, fog) flip from frame to frame, and
 * the ratio swung to 0.6-1.0 inside plain shots. */
#ifndef FR_SHOTS_FEAT_H
#define FR_SHOTS_FEAT_H

#include <stdint.h>

#include "fr_plane.h"
#include "fr_status.h"

#define FR_SHOTS_BINS 16
#define FR_SHOTS_MAX_GRID 512 /* most cells along a side (the grid option's limit) */

typedef struct {
    float mean;           /* of the grid, in 0..1 of the sample range */
    float sigma;          /* contrast left once the plane is taken away, same scale */
    float rsigma;         /* the same after a 3x3 median of the cells: blind to dust and
                             line scratches (a cell or a column wide), for blank frames */
    int dark;             /* mean near black or near white: a fade's territory */
    int flat;             /* dark and sigma under the flat threshold: z is all zero */
    float *z;             /* gw*gh normalised cells */
    float hist[FR_SHOTS_BINS]; /* of z over [-2, 2], soft-binned, sums to 1 */
    float *coarse;        /* (gw/2)*(gh/2): z pooled 2x2, for motion search */
} fr_thumb;

typedef struct {
    float pix;    /* mean |z change|, each cell matched within one cell of motion */
    float hist;   /* half the L1 distance of the histograms, 0..1 */
    float d;      /* their mean: the change the detector thresholds */
} fr_thumb_dist;

typedef struct {
    float a, b;   /* the middle frame ~ a*first + b*last (normalised frames) */
    float resid;  /* share of mid's energy the blend leaves unexplained */
    float single; /* the same for the better of the two ends alone */
    float gain;   /* 1 - resid / min(residual(first), residual(last)) */
} fr_thumb_blend;

/* Box-averages planes onto a fixed grid; keeps per-size tables between calls. */
typedef struct fr_thumber fr_thumber;

/* Grid size for a picture: `grid` cells along the longer side, at least 2 pixels a cell. */
void fr_thumb_grid_size(int width, int height, int grid, int *gw, int *gh);

fr_status fr_thumber_new(fr_thumber **out, int gw, int gh, float flat_sigma, fr_err *err);
void fr_thumber_free(fr_thumber *t);

fr_status fr_thumb_alloc(fr_thumb *th, int gw, int gh, fr_err *err);
void fr_thumb_release(fr_thumb *th);
void fr_thumb_copy(fr_thumb *dst, const fr_thumb *src, int gw, int gh);

/* Fills th from a full-size luma plane. */
fr_status fr_thumb_make(fr_thumber *t, const fr_plane *luma, fr_thumb *th, fr_err *err);

/* A thumbnail as bytes, for MPI: fr_thumb_bytes(gw, gh) of them, the same on every rank. */
size_t fr_thumb_bytes(int gw, int gh);
void fr_thumb_pack(const fr_thumb *th, int gw, int gh, uint8_t *out);
/* Fills th (allocated for gw x gh) from fr_thumb_bytes(gw, gh) bytes; FR_ERR_MPI when a
 * value is not one fr_thumb_make gives (not finite, flags other than 0 or 1). */
fr_status fr_thumb_unpack(const uint8_t *in, int gw, int gh, fr_thumb *th, fr_err *err);

/* Distance between two non-flat thumbnails of the same grid. */
void fr_thumb_distance(const fr_thumb *a, const fr_thumb *b, int gw, int gh, fr_thumb_dist *out);

/* The same, after moving each end onto the middle by the global shift (up to
 * `reach` coarse cells, sub-cell) that best aligns it: a pan's middle is then
 * its ends moved, not a blend. scratch holds 3*(gw/2)*(gh/2) floats. The shift
 * search runs on a grid pooled once more, then is refined by one coarse cell. */
void fr_thumb_blend_moved(const fr_thumb *first, const fr_thumb *mid, const fr_thumb *last, int gw,
                          int gh, int reach, float *scratch, fr_thumb_blend *out);

#endif
