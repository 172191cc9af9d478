/* restore_deflicker_impl.h: the deflicker stage's private parts, shared by its files: its
 * constants, its state, and the functions each file gives the others.
 *   restore_deflicker.c      the filter: open, close, each frame's statistics, its
 *                            references and its correction
 *   restore_deflicker_map.c  the map of each frame's brightness onto the next's, along the
 *                            flow, and the chain of maps from frame j outwards
 *   restore_deflicker_fit.c  the fits: robust lines in time, the knee, the smooth surface
 *                            over the frame's cells
 * The method as a whole is described atop restore_deflicker.c. */
#ifndef FR_RESTORE_DEFLICKER_IMPL_H
#define FR_RESTORE_DEFLICKER_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "restore_impl.h"

#define DF_MAX_CELLS 256
#define DF_TERMS 12
#define DF_LOCAL_LIMIT 0.3
#define DF_NCAND 5
#define DF_HALF_GAIN 0.25 /* a half-length window must cut the residual to a quarter */
#define DF_TUKEY 7.0 /* Tukey cut-off, in robust scales: only points far off the line go */
#define DF_ITER 6 /* reweighted fits: 2 Huber, then Tukey */
#define DF_SIDE_MIN 4    /* frames a one-sided window needs besides j */
#define DF_SIDE_GAIN 0.5 /* a one-sided window must halve the centred one's residual */
#define DF_BEND 1.0      /* narrower windows only where the residuals run this smooth (Durbin-Watson) */
#define DF_KNEE_GAIN 8.0 /* a knee must cut the fit's cost by this much (flicker variances) */
#define DF_SIDE 160      /* widest plane the consecutive frames are matched on */
#define DF_FLOW_MIN 32   /* planes smaller than this a side are matched without motion */
#define DF_OUTLIER 6.0   /* matched pixels this many robust spreads off the map are left out */
#define DF_Z_FULL 0.08 /* cells this close to their references: the whole local correction */
#define DF_Z_NONE 0.19 /* this far: none */
#define DF_Z_LEFT 1.414 /* how much what the surface leaves of the cells' departures counts */
#define DF_Z_RAW 0.667  /* and the departures themselves */
#define DF_ALLOW_MEAN 0.5 /* unexplained changes of mean taken for flicker, at most (8-bit codes) */
#define DF_ALLOW_SD 0.25  /* and of deviation */
#define DF_TAPER 3 /* the fit's triangle in time reaches zero at DF_TAPER R frames from j */

typedef struct {
    double a, b;                 /* frame k+1 ~ a * frame k + b on matched pixels */
    double cm, cs;               /* what the map leaves of the change of mean and deviation */
} df_map;

typedef struct {
    int w, h, bits, threads, radius;
    int gx, gy, local;
    int *cell_x, *cell_y;   /* cell index of each column / row */
    int f, sw, sh;          /* the matched planes: w / f x h / f */
    int *scell;             /* cell of each pixel of a matched plane */
    int scell_n[DF_MAX_CELLS]; /* and each cell's pixels there */
    fr_flow *flow;          /* NULL: planes too small, matched without motion */
    fr_flow_pyr *pyr[2];
    uint8_t *g8;            /* sw*sh scratch */
    float *uv, *q, *res;    /* sw*sh*2 flow; sw*sh: the next frame followed, residuals */
    int cap;                /* frames the per-frame arrays hold */
    double *mu, *sd;        /* per frame: mean, deviation */
    double *z;              /* per frame: the cells' standardised means (from the small plane) */
    float *small;           /* per frame: the sw*sh box-downscaled plane, in codes */
    df_map *map;            /* per frame k < n-1: the map of k onto k+1 */
    double *vmu, *vsd;      /* frame j's mean and deviation as read in each frame */
    double *vunc;           /* and the variance of that reading of the mean (the chain's doubt) */
    int64_t *rowsum;        /* scratch: per row sum */
    double *rowsq;          /* scratch: per row sum of squares */
} deflicker;

/* The surface's terms, u^DF_EXP[k][0] v^DF_EXP[k][1] (u across the frame, v down it): cubic
 * across and quadratic down, as the grid has more cells across than down; ordered by degree,
 * so the first 6 are the whole quadratic that small grids get. */
static const int DF_EXP[DF_TERMS][2] = {{0, 0}, {1, 0}, {0, 1}, {2, 0}, {1, 1}, {0, 2},
                                        {3, 0}, {2, 1}, {1, 2}, {3, 1}, {2, 2}, {3, 2}};

static inline double ipow(double x, int e)
{
    double r = 1;
    while (e-- > 0)
        r *= x;
    return r;
}

/* restore_deflicker_fit.c */
double df_robust_line(const double *v, size_t stride, int lo, int hi, int j, int tukey, int reach,
                      const double *unc, double s2, double *rms, double *spread);
double df_surface_at(const deflicker *d, const double *coef, int c);
void df_fit_surface(const deflicker *d, const double *lg, double *coef);
double df_bend_smoothness(const double *v, int lo, int hi);
double df_knee_fit(const double *v, int lo, int hi, int j, int reach, int s, double scale, double *cost);

/* restore_deflicker_map.c */
void df_prepare(deflicker *d, const float *small, fr_flow_pyr *pyr);
void df_pair(deflicker *d, int k, int slot, df_map *m);
void df_chain(deflicker *d, int j, int lo, int hi);

#endif
