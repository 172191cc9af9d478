/* restore_dust_impl.h: the dust stage's private parts, shared by its files: its constants,
 * its state and the frame's measures, and the functions each file gives the others.
 *   restore_dust.c         the filter: open, close, the per-frame set-up and the repair loop
 *   restore_dust_find.c    the envelope of the references and each pixel's class (seeds)
 *   restore_dust_region.c  the tests a region must pass, and the pixels it repairs
 *   restore_dust_search.c  the search for a moving object in the frames around
 * The algorithm as a whole is described atop restore_dust.c. */
#ifndef FR_RESTORE_DUST_IMPL_H
#define FR_RESTORE_DUST_IMPL_H

#include <stdint.h>

#include "restore_impl.h"

#define DU_SEARCH 16     /* how far (pixels) a moving object is looked for in the frames around */
#define DU_NCC 0.85      /* the correlation that says it was found there */
#define DU_NCC_EDGE 0.75 /* the same at a window's edge, where both references lie on one side */
#define DU_COPY 0.6      /* mean |difference| (grain levels + 1 code) of a blob copied from a neighbour */
#define DU_EXPLAINED 1.8 /* residual around a defect allowed, in spatial grain levels (+ 1 code) */
#define DU_GRID 3        /* step of the grid the spatial grain is measured on */
#define DU_LAPLACE_NOISE (4.0 * sqrt(1.25)) /* fr_rs_laplace's spread over one pixel's noise */
#define DU_FLOOR 16.0    /* lowest threshold, in 8-bit levels (material without grain) */
#define DU_MIN_PIXELS 3  /* smaller regions are grain, not dust */
#define DU_RING_IN 2
#define DU_RING_OUT 4
#define DU_FLOW_IN 9  /* the ring (in flow pixels) whose median motion replaces a defect's own */
#define DU_FLOW_OUT 11
#define DU_ACT 6      /* how far around a defect its surroundings are looked at */
#define DU_STILL_GATE 1.25 /* found only without motion: its ring's error, at most this x the flow's */
#define DU_STILL_GRAIN 1.5 /* where the flow leaves the frame: at most this many noise levels + a code */
#define DU_NEAR 0.75f        /* a region with no seed: one pixel past this x the seed threshold, */
#define DU_FAINT_PIXELS 5    /* at least this many pixels */
#define DU_FAINT_SIDE 3      /* and at least this many a side (a thin line is a scratch or a shifted edge) */
#define DU_EXPLAINED_FAINT 1.4 /* DU_EXPLAINED for such a faint region: less evidence of its own */
#define DU_GROW 2     /* margin of the pixels matched and repaired around a region */
/* A frame explained poorly (above): as its noise against the warped neighbours over its own
 * grain rises from DU_LOOSE_LO to DU_LOOSE_HI, a bright region's correlation threshold falls
 * from DU_NCC to DU_NCC_LOOSE and its allowed residual from DU_EXPLAINED to DU_EXPLAINED_LOOSE */
#define DU_LOOSE_LO 1.3
#define DU_LOOSE_HI 1.6
#define DU_LOOSE_FLOOR 1.5 /* the grain in that ratio is at least this many 8-bit levels: on a
                            * grainless picture a level or two of difference is no poor match */
#define DU_NCC_LOOSE 0.5
#define DU_EXPLAINED_LOOSE 1.5
#define DU_REACH_LOOSE 0.45 /* and any region there reaches this far towards white or black */
/* The grain inside a region (core_grain) against j's own: under DU_FLAT with DU_FLAT_PIXELS
 * or more inside, or under DU_FLAT_FEW with fewer (DU_GRAINY_PIXELS at least), it is flat
 * (dust hides the film's grain; DU_EXPLAINED_FLAT is then allowed around it); over
 * DU_GRAINY with DU_GRAINY_PIXELS or more, it is grainy (picture: a bright one in a frame
 * explained poorly is left). Fewer pixels must be flatter, since a few pixels of grain can
 * measure low by chance (3 independent ones fall under 0.6 of their level about one time in
 * 5, under 0.3 one time in 30), while dust that hides most of the grain does not measure high */
#define DU_FLAT_PIXELS 6
#define DU_GRAINY_PIXELS 3
#define DU_FLAT 0.6
#define DU_FLAT_FEW 0.3
#define DU_GRAINY 0.9
#define DU_EXPLAINED_FLAT 3.0

typedef struct {
    int w, h, bits, threads;
    double strength;
    int maxside;
    fr_rs_motion mo;
    float *uv, *uv2, *p, *nx, *mn, *mx, *tmp;
    float *p0, *n0, *mn0, *mx0; /* the same without motion: the two frames as they are */
    float *rows;                /* 2 * w floats a thread: envelope's per-pixel minima and maxima */
    uint8_t *mask;     /* 0 none, 1 weak, 2 seed; bits: 4 visited, 8 dark, 16 and 32 the region
                        * in hand, 64 found only without motion, 128 weak but past DU_NEAR of
                        * the seed threshold */
    int32_t *stack;
    int32_t *region;   /* pixels of the region being grown */
    float *sample;     /* FR_RS_NSAMPLE floats for fr_rs_noise_curve */
} dust;

typedef struct {
    double gp, op, gn, on, sigma;
    double grain;                           /* j's own grain level (spatial_grain) */
    double loose;                           /* 0..1: how far j is from being explained (DU_LOOSE_LO) */
    float thi[FR_RS_BINS], tlo[FR_RS_BINS]; /* the thresholds by the neighbours' brightness */
    int shift;                              /* code >> shift = brightness band */
} du_frame;


static inline int band_of(const du_frame *f, double v)
{
    int b = (int)v >> f->shift;
    return b < 0 ? 0 : b >= FR_RS_BINS ? FR_RS_BINS - 1 : b;
}

/* The brightness band of the references' mean (p + n) / 2. */
static inline int band_pn(const du_frame *f, float p, float n)
{
    int band = (int)((p + n) * 0.5f) >> f->shift;
    return band < 0 ? 0 : band >= FR_RS_BINS ? FR_RS_BINS - 1 : band;
}

/* restore_dust_find.c */
void du_envelope(dust *d, int r, const float *P, const float *N, float **mnp, float *mxv);
void du_classify(dust *d, const uint16_t *I, const du_frame *f);

/* restore_dust_region.c */
double du_ring_err(const dust *d, const uint16_t *I, const float *q, int x0, int y0, int x1, int y1);
void du_rewarp(const dust *d, const uint16_t *src, const float *uv, double g, double o, float *q, int x0, int y0,
               int x1, int y1, int bx0, int by0, int bx1, int by1);
int du_choose_motion(dust *d, const uint16_t *I, int x0, int y0, int x1, int y1, int bx0, int by0, int bx1, int by1,
                     int still_only, double sigma);
int du_seeded_how(const dust *d, int n);
double du_local_residual(const dust *d, const uint16_t *I, int bx0, int by0, int bx1, int by1, double *offset);
int du_regrow(dust *d, const uint16_t *I, const du_frame *f, uint8_t pol, int n, int bx0, int by0, int bx1,
              int by1);
double du_core_grain(const dust *d, const uint16_t *I, int n, int *inside);
int du_too_big(const dust *d, int n, int x0, int y0, int x1, int y1);
int du_still_defect(const dust *d, const uint16_t *I, const du_frame *f, uint8_t pol, int n, double off);
double du_reach(const dust *d, const uint16_t *I, uint8_t pol, int n, double off, int full_range);
void du_around(const dust *d, const uint16_t *I, const du_frame *f, uint8_t pol, int bx0, int by0, int bx1,
               int by1, long *act_p, long *act_n, long *allow);
int du_grown(dust *d, int x0, int y0, int x1, int y1);
int du_ring_of(const dust *d, const int32_t *idx, int m, int32_t *ring);

/* restore_dust_search.c */
int du_found_elsewhere(const fr_luma_window *in, int j, int ra, int rb, int w, int h, const int32_t *idx, int m,
                       const int32_t *core, int nc, const int32_t *ring, int nr, int sg, double copy_tol,
                       double loose);

#endif
