/* flow_impl.h: the private structures shared by flow.c (plan, pyramids, level loop) and
 * flow_dis.c (the patch search and densification on one level). Not for other modules. */
#ifndef FR_FLOW_IMPL_H
#define FR_FLOW_IMPL_H

#include "flow.h"

typedef struct {
    int w, h;  /* level size in pixels */
    float *img; /* normalised intensity, w*h */
    float *gx;  /* horizontal gradient (Sobel / 8), w*h */
    float *gy;  /* vertical gradient, w*h */
} fr_flow_level;

struct fr_flow_pyr {
    fr_flow_level lev[FR_FLOW_MAX_LEVELS]; /* levels below the plan's finest have no data */
};

struct fr_flow {
    fr_flow_opts o;           /* settings, validated */
    int nlev;                 /* levels 0..nlev-1 exist; searched from nlev-1 down to finest */
    int w[FR_FLOW_MAX_LEVELS];/* level sizes */
    int h[FR_FLOW_MAX_LEVELS];
    int threads;              /* resolved thread count */
    float *lvl0;              /* scratch: normalised full-size frame while preparing */
    float *tmp;               /* scratch: a level's float plane while preparing */
    float *flow_cur;          /* dense flow on the level being searched, 2 floats a pixel */
    float *flow_prev;         /* dense flow of the coarser level */
    float *patch_uv;          /* per patch: (u, v) */
    float *patch_d;           /* per patch: mean intensity difference b - a at its flow */
    int *cov_x;               /* per column: up to FR_FLOW_COVER patch columns covering it */
    int *cov_y;               /* per row: the same for patch rows */
    int *ncov_x, *ncov_y;     /* how many entries of cov_x / cov_y are used */
};

#define FR_FLOW_COVER 8 /* most patches covering one pixel along one axis (patch/stride + 2) */

/* Patch origins along an axis of length n: min(i*stride, n - patch), i = 0..count-1. */
int fr_flow_patch_count(int n, int patch, int stride);

/* Searches level l: reads f->flow_cur as the initial dense flow, leaves the refined dense
 * flow in f->flow_cur. */
void fr_flow_dis_level(fr_flow *f, const fr_flow_level *a, const fr_flow_level *b);

#endif
