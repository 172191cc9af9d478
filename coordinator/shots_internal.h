/* shots_internal.h: what the shot detector's files share (coordinator/shots.c,
 * shots_cut.c, shots_gradual.c), and nothing else includes: the detector's state,
 * its constants, the small tests on a thumbnail and the stages' entry points.
 * The method is described atop shots.c and in docs/shots.md. */
#ifndef FR_SHOTS_INTERNAL_H
#define FR_SHOTS_INTERNAL_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fr_shots_feat.h"
#include "shots.h"

#define FR_SHOTS_QUEUE 64    /* pending boundaries; far more than a span can hold */
#define FR_MIN_BLEND 0.15f   /* each end's least weight in a dissolve's middle frame */
#define FR_MIN_UNEXPLAINED 0.2f /* share of a dissolve's middle that neither end explains */
#define FR_REACH 4           /* camera motion undone: coarse cells (about 1/16 of the width) */
#define FR_SPANS 3           /* detector 2: dissolves tested at spans K, 2K and 3K */
#define FR_DIP 0.8f         /* detector 2: a dissolve's middle has under this share of the
                               contrast its ends average (3 frames each) ... */
#define FR_DIP_GAIN 0.1f    /* ... and a blend of them explains at least this much more */
#define FR_DIP_LEVEL 0.1f   /* ... and the levels (0..1) of t-1..t+1 stay this near the line
                               between the ends' levels */
#define FR_DIP_RUN 3        /* frames a run that passed by its dip alone needs */
#define FR_SPAN_GROWTH 0.9f /* the next span's ends may differ this much less, at most */
#define FR_BLACK 0.1f       /* detector 2: a level (0..1) this dark ... */
#define FR_BLACK_SIGMA 3.0f /* ... is blank under this many flat_sigma of contrast */
#define FR_FADE_SHARE 0.75f /* detector 2: a fade's sides differ by this share of gradual_threshold */
#define FR_SPIKE_SHARE 0.67f /* detector 2: a cut may change by this share of cut_threshold ... */
#define FR_SPIKE_RATIO 4.0f  /* ... when it is this many times both sides' largest change */
#define FR_WIN_SHARE 0.5f    /* detector 2: a change of this share of cut_threshold is a cut ... */
#define FR_WIN_STEP 3.0f     /* ... when it is this many times both sides' largest change ... */
#define FR_WIN_RATIO 3.0f    /* ... when the windows across it are this many times more unlike
                                than the windows beside it (shots_window.c) ... */
#define FR_WIN_MIN 0.25f     /* ... and at least this unlike (1 - correlation) */
#define FR_WIN_FLOOR 0.02f   /* the least the windows beside count as unlike */
#define FR_LEADER_CONF 0.6f  /* a long blank run decided before its far side is seen */

struct fr_shots {
    fr_shots_opts o;
    int gw, gh, cells;          /* thumbnail grid, fixed by the first frame */
    fr_thumber *thumber;
    int v2;                     /* detector 2 (issue 26) */
    int spans;                  /* dissolve spans tested: K, 2K, ... (1 for detector 1) */
    int kmax;                   /* the widest, spans * K */
    int cap;                    /* ring slots */
    fr_thumb *ring;             /* cap thumbnails */
    fr_thumb_dist *step;        /* cap: d(t-1, t); .d < 0 when either frame is blank */
    uint8_t *cut;               /* cap: 1 when frame t opens a cut */
    float *scratch;             /* for fr_thumb_blend_moved (3 coarse maps) and the window test (4) */
    int64_t n;                  /* frames pushed */
    int64_t cut_done, grad_done;/* next frame for each stage */
    int64_t flat_start;         /* first frame of the blank run in progress, or -1 */
    int flat_done;              /* that run was long and its boundary already given */
    fr_thumb before;            /* picture before that run */
    int have_before;
    int64_t run_start, run_end; /* dissolve run in progress, or -1 */
    int run_block;              /* a run was cut short: no new one until a frame fails */
    float run_score;
    float run_conf;             /* best confidence of its frames */
    int run_span;               /* widest span that passed in it */
    int run_blend;              /* a frame of it passed by the blend fit, not the dip alone */
    fr_shot_boundary q[FR_SHOTS_QUEUE];
    int qn;
    int64_t last_out;           /* frame of the last boundary handed out, or -1 */
    fr_shot_kind last_kind;
    int finished;
    FILE *trace;
};

static inline fr_thumb *at(fr_shots *s, int64_t t) { return &s->ring[t % s->cap]; }

/* Longest blank run or dissolve run waited for: longer ones are decided early, so
 * that fr_shots_lag is a true bound. */
static inline int64_t max_run(const fr_shots *s) { return 4 * (int64_t)s->o.gradual_span; }

/* A blank frame (the bottom of a fade, black leader). Detector 2 judges the contrast
 * after the median, so that dust and scratches on black leave it blank. */
static inline int blank(const fr_shots *s, const fr_thumb *th)
{
    if (!s->v2)
        return th->flat;
    /* near black, heavy grain leaves more contrast than flat_sigma: a frame that dark
     * is blank up to FR_BLACK_SIGMA times it */
    return th->dark && (th->rsigma < s->o.flat_sigma ||
                        (th->mean < FR_BLACK && th->rsigma < FR_BLACK_SIGMA * s->o.flat_sigma));
}

/* A nearly blank frame, whose normalised noise jumps like a cut. */
static inline int dim(const fr_shots *s, const fr_thumb *th)
{
    return th->dark && (s->v2 ? th->rsigma : th->sigma) < 2 * s->o.flat_sigma;
}

/* A test's measure over its threshold (1: just passed) as a confidence: 0.5 at the
 * threshold, 1 at twice it, 0 at half; log-scaled, so that each doubling counts alike. */
static inline float conf_of(double ratio)
{
    if (!(ratio > 0))
        return 0.0f;
    double c = 0.5 + 0.5 * log2(ratio);
    return (float)(c < 0 ? 0 : c > 1 ? 1 : c);
}

static inline float dist(fr_shots *s, const fr_thumb *a, const fr_thumb *b)
{
    fr_thumb_dist d;
    fr_thumb_distance(a, b, s->gw, s->gh, &d);
    return d.d;
}

/* shots.c: queues a boundary, settling conflicts closer than min_shot; drops the
 * queued cuts in frames from..to. */
void fr_shots__add(fr_shots *s, int64_t frame, fr_shot_kind kind, int length, float score, float conf);
void fr_shots__drop_cuts(fr_shots *s, int64_t from, int64_t to);
/* shots_cut.c: blank runs (fades) and hard cuts at frame t = n - flash_frames. */
void fr_shots__cut_stage(fr_shots *s, int64_t t);
/* shots_gradual.c: dissolves at frame t = n - flash_frames - kmax; close_run reports
 * the dissolve run in progress, if it is long enough. */
void fr_shots__gradual_stage(fr_shots *s, int64_t t);
void fr_shots__close_run(fr_shots *s);
/* shots_window.c: 1 when the windows of frames across t are far more unlike than those
 * beside it (a cut between alike pictures, under damage); *ratio: 1 when just. Needs
 * frames t-6..t+5. */
int fr_shots__window_cut(fr_shots *s, int64_t t, float *ratio);

#endif
