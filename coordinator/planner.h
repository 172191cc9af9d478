/* planner.h: the coordinator's decode-ahead thread and its batch plan.
 *
 * The planner reads the film's timeline in its own thread: it demuxes only
 * (fr_video_in's timeline mode, with the damage rules the packets show) and hands
 * the frames out in chunks, as FR_PLAN_CHUNK events, for the nodes to decode and
 * make the shot detector's features of. It takes those back in order, drops or
 * refuses the frames that did not decode whole, runs the detector's decisions, and
 * cuts the frames into segments ("batches" here and in the store): one holds at most batch_size frames,
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

typedef enum { FR_PLAN_CHUNK, FR_PLAN_BATCH, FR_PLAN_SHOT, FR_PLAN_DAMAGE, FR_PLAN_END, FR_PLAN_ERROR } fr_plan_kind;

typedef struct {
    fr_plan_kind kind;
    int64_t chunk_id, chunk_start; /* FR_PLAN_CHUNK: frames to analyse, by timeline index */
    int chunk_count;
    fr_batch batch;     /* FR_PLAN_BATCH */
    int64_t *pts;       /* batch.count (chunk_count) timestamps; owned by the event */
    fr_shot shot;       /* FR_PLAN_SHOT */
    fr_loss loss; /* FR_PLAN_DAMAGE */
    int64_t frames;     /* FR_PLAN_END: frames in the film */
    fr_err err;         /* FR_PLAN_ERROR */
} fr_plan_event;

typedef struct fr_planner fr_planner;

/* Starts reading input's timeline in a new thread. queue_len bounds the batches held;
 * chunks of chunk_frames frames go out for their features, at most `ahead` of them before
 * their features have come back (fr_planner_give_features). tolerate: --tolerate-damage. */
fr_status fr_planner_start(fr_planner **out, const char *input, int batch_size,
                           const fr_shots_opts *shots, int queue_len, int chunk_frames, int ahead, int tolerate,
                           fr_err *err);
/* The features of chunk `id` (an FR_PLAN_CHUNK event's), from a node: chunk_count records
 * of an int32 corrupt flag and fr_thumb_bytes(gw, gh) bytes (copied). */
fr_status fr_planner_give_features(fr_planner *p, int64_t id, const uint8_t *records, size_t len, int gw, int gh,
                                   fr_err *err);
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
