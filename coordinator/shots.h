/* shots.h: a streaming shot-boundary detector for luma-only film.
 *
 * Feed it every decoded frame in order; it finds hard cuts and gradual
 * transitions (dissolves, fades through black or white) while staying blind to
 * flicker, grain and flashes. Memory is bounded: a ring of a few dozen
 * thumbnails (a 64-cell grid), whatever the film's length. Output is
 * deterministic: the same frames give the same boundaries.
 *
 *     fr_shots_opts o;
 *     fr_shots_defaults(&o);
 *     fr_shots *s = NULL;
 *     if (fr_shots_new(&s, &o, &err) != FR_OK) ...
 *     for each frame:  fr_shots_push(s, &frame.luma, frame.index, &err);
 *                      while (fr_shots_pop(s, &b)) use(b);   // confirmed, with a lag
 *     fr_shots_finish(s, &err);
 *     while (fr_shots_pop(s, &b)) use(b);
 *     fr_shots_free(s);
 *
 * A boundary names the frame that opens the new shot; for a gradual transition
 * that is the transition's middle frame. Boundaries come out in increasing frame
 * order, at most fr_shots_lag frames after the frame they name (a caller may treat
 * every frame older than that as settled). To keep that bound, a blank run (black
 * leader) or a dissolve longer than 4*gradual_span frames is decided early: its
 * boundary is placed 2*gradual_span frames into it.
 * docs/shots.md describes the method and how the defaults were tuned. */
#ifndef FR_SHOTS_H
#define FR_SHOTS_H

#include <stdint.h>
#include <stdio.h>

#include "fr_plane.h"
#include "fr_status.h"

typedef enum { FR_SHOT_CUT = 0, FR_SHOT_GRADUAL = 1 } fr_shot_kind;

typedef struct {
    int64_t frame;      /* first frame of the new shot (a gradual's middle frame) */
    fr_shot_kind kind;
    int length;         /* estimated transition length in frames; 0 for a cut */
    float score;        /* the detector's confidence measure, for diagnostics */
} fr_shot_boundary;

typedef struct {
    int grid;              /* thumbnail cells along the longer side                [64] */
    float cut_threshold;   /* least frame-to-frame change (0..~1) for a cut        [0.30] */
    float cut_ratio;       /* a cut's change over its neighbours' largest change,
                              on the calmer side                                   [2] */
    int cut_neighbours;    /* frames each side that the cut must stand out from    [2] */
    int flash_frames;      /* longest flash (or flicker burst) that is ignored     [6] */
    float flash_ratio;     /* a return to within this share of the jump is a flash [0.45] */
    float flat_sigma;      /* a thumbnail whose contrast (0..1) is under this is
                              blank: the bottom of a fade                          [0.008] */
    float gradual_threshold; /* least change across a gradual transition          [0.30] */
    float blend_gain;      /* how much better the middle frame must fit as a blend
                              of the two ends than as either end alone             [0.4] */
    float blend_dip;       /* least a+b of the blend weights (normalised frames):
                              a dissolve's middle has less contrast than its ends  [1.15] */
    int gradual_span;      /* half-window, frames each side of a gradual's middle  [8] */
    int min_shot;          /* fewest frames between two boundaries                 [6] */
} fr_shots_opts;

/* Fills o with the defaults above. */
void fr_shots_defaults(fr_shots_opts *o);

typedef struct fr_shots fr_shots;

/* Checks the options (NULL means the defaults) and makes a detector in *out. */
fr_status fr_shots_new(fr_shots **out, const fr_shots_opts *opts, fr_err *err);

/* Adds frame `index` (must be 0 for the first call, then one more each call);
 * luma is read during the call only (8-bit or uint16 samples at luma->bits). */
fr_status fr_shots_push(fr_shots *s, const fr_plane *luma, int64_t index, fr_err *err);

/* Marks the end of the stream: every pending boundary becomes poppable. */
fr_status fr_shots_finish(fr_shots *s, fr_err *err);

/* Takes the next confirmed boundary; returns 1 and fills b, or 0 when none is ready. */
int fr_shots_pop(fr_shots *s, fr_shot_boundary *b);

/* The most frames a boundary can trail the newest pushed frame (see above). */
int fr_shots_lag(const fr_shots *s);

/* Writes one CSV line of per-frame measures to f as each frame is decided
 * (NULL stops it); for tuning and for docs/shots.md. */
void fr_shots_set_trace(fr_shots *s, FILE *f);

void fr_shots_free(fr_shots *s);

#endif
