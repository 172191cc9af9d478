/* smooth_impl.h: the smoother's private state, shared by smooth.c (settings, handle, frame
 * ring, streaming) and smooth_blend.c (one output frame). Not for other modules. */
#ifndef FR_SMOOTH_IMPL_H
#define FR_SMOOTH_IMPL_H

#include "flow.h"
#include "smooth.h"

struct fr_smooth {
    fr_smooth_opts o;      /* settings, validated */
    int size;              /* frames are size x size */
    int cap;               /* ring slots: 2r + 2 */
    int threads;           /* resolved OpenMP thread count */
    fr_flow *flow;         /* flow plan (NULL when smoothing is off) */
    uint8_t *gray;         /* cap frames of size*size */
    uint8_t *chroma;       /* cap frames of size*size*2 */
    fr_flow_pyr **pyr;     /* per slot */
    int *pyr_of;           /* frame whose pyramid a slot holds, -1 none */
    float **fwd, **bwd;    /* per slot: flows of pair (j, j+1) */
    int *fwd_of, *bwd_of;  /* the pair j each slot's flow belongs to, -1 none */
    float *gate;           /* per slot: trust in pair (j, j+1), see pair_gate */
    int *gate_of;          /* the pair each slot's gate belongs to, -1 none */
    /* the run */
    int first, count;      /* outputs wanted; count < 0: until finish */
    int pushed;            /* frames pushed since begin */
    int finished;          /* fr_smooth_finish was called */
    int next_out;          /* next output index */
    /* scratch for one output frame, each size*size (times 2 for the two-channel ones) */
    float *acc;            /* sum w*Cb, sum w*Cr, sum w: 3 a pixel */
    float *chain;          /* composed flow of the current side, 2 a pixel */
    float *cap_w;          /* weight of the previous step, a pixel and a side (2 a pixel) */
    float *res;            /* gray residual of the current step */
    float *box;            /* 5 x 5 sums of the squared residual */
    float *wch;            /* warped chroma of the current step, 2 a pixel */
    float *wt;             /* staging for the box sums */
    uint8_t *bad;          /* 1 where the current step's path leaves the frame or has no match */
};

/* The radius in force: 0 when smoothing is off or has no strength. */
int fr_smooth_radius(const fr_smooth *s);

/* Writes output frame t (size*size*2 bytes) from frames lo..hi of the ring (t inside). */
void fr_smooth_blend(fr_smooth *s, int t, int lo, int hi, uint8_t *out);

#endif
