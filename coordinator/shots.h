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
#include "fr_shots_feat.h"
#include "fr_shots_opts.h"
#include "fr_status.h"

typedef enum { FR_SHOT_CUT = 0, FR_SHOT_GRADUAL = 1 } fr_shot_kind;

typedef struct {
    int64_t frame;      /* first frame of the new shot (a gradual's middle frame) */
    fr_shot_kind kind;
    int length;         /* estimated transition length in frames; 0 for a cut */
    float score;        /* the measure that decided it, for diagnostics */
    float confidence;   /* 0..1: how far its tests cleared their thresholds (0.5: just) */
} fr_shot_boundary;

typedef struct fr_shots fr_shots;

/* Checks the options (NULL means the defaults) and makes a detector in *out. */
fr_status fr_shots_new(fr_shots **out, const fr_shots_opts *opts, fr_err *err);

/* Adds frame `index` (must be 0 for the first call, then one more each call);
 * luma is read during the call only (8-bit or uint16 samples at luma->bits). */
fr_status fr_shots_push(fr_shots *s, const fr_plane *luma, int64_t index, fr_err *err);

/* The same with the frame's thumbnail, made elsewhere (a node: fr_thumb_make on a grid of
 * gw x gh, fr_thumb_grid_size of the picture and the grid option): the decisions are those
 * fr_shots_push makes, so the boundaries are the same. */
fr_status fr_shots_push_thumb(fr_shots *s, const fr_thumb *th, int gw, int gh, int64_t index, fr_err *err);

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
