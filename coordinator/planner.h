/* planner.h: the coordinator's decode-ahead thread and its batch plan.
 *
 * The planner decodes the film in its own thread, feeds the full-size luma to
 * the shot detector, applies the reader's damage rules, and cuts the frames
 * into segments ("batches" here and in the store): one holds at most batch_size frames,
 * counted from the start of its shot, and never spans a boundary. Since
 * boundaries are confirmed with a lag, frames wait until the detector has
 * settled them. The plan is thus a function of the film and the settings
 * alone, whatever the number of ranks.
 *
 * Events come out in order through a bounded queue, so memory stays bounded
 * however long the film: a segment (its frames' timestamps), a
 * closed shot, a loss to damage that --tolerate-damage let pass, the end of the
 * film, or an error. */
#ifndef FR_PLANNER_H
#define FR_PLANNER_H

#include <stdint.h>

#include "fr_status.h"
#include "fr_loss.h"
#include "fr_store.h"
#include "shots.h"

typedef enum { FR_PLAN_BATCH, FR_PLAN_SHOT, FR_PLAN_DAMAGE, FR_PLAN_END, FR_PLAN_ERROR } fr_plan_kind;

typedef struct {
    fr_plan_kind kind;
    fr_batch batch;     /* FR_PLAN_BATCH */
    int64_t *pts;       /* batch.count timestamps; owned by the event */
    fr_shot shot;       /* FR_PLAN_SHOT */
    fr_loss loss; /* FR_PLAN_DAMAGE */
    int64_t frames;     /* FR_PLAN_END: frames in the film */
    fr_err err;         /* FR_PLAN_ERROR */
} fr_plan_event;

typedef struct fr_planner fr_planner;

/* Starts decoding input in a new thread. queue_len bounds the batches held. */
fr_status fr_planner_start(fr_planner **out, const char *input, int batch_size,
                           const fr_shots_opts *shots, int queue_len, fr_err *err);
/* Waits for the next event. */
void fr_planner_next(fr_planner *p, fr_plan_event *ev);
/* Non-blocking: 1 with an event, 0 when none is ready. */
int fr_planner_try_next(fr_planner *p, fr_plan_event *ev);
void fr_plan_event_release(fr_plan_event *ev);
/* Stops the thread (if running) and frees everything. */
void fr_planner_free(fr_planner *p);

/* Canonical text of shot-detector settings, for the store's identity. */
void fr_shots_opts_format(const fr_shots_opts *o, char *buf, size_t len);

#endif
