/* schedule.h: which batch can be smoothed, and which can be encoded, now.
 *
 * The coordinator overlaps its three stages. A batch can be smoothed once every
 * frame in its smoothing window is colourised: the window is `radius` frames on
 * each side, clipped to the batch's own shot. A batch can be encoded once it
 * and every batch before it have their final chroma (smoothed, or colourised
 * when smoothing is off), since the encoder consumes frames in order. This
 * module keeps that bookkeeping, in memory, for the batches planned so far.
 * With reference frames (guide.h), a shot that has them is guided once all its
 * batches have their final chroma, and its batches are encoded only after that;
 * while references are in use, a batch whose shot is still open waits too.
 * It does no I/O and calls no MPI, so it is tested on its own. */
#ifndef FR_SCHEDULE_H
#define FR_SCHEDULE_H

#include <stdint.h>

#include "fr_status.h"
#include "fr_store.h"

typedef struct fr_schedule fr_schedule;

fr_status fr_schedule_new(fr_schedule **out, int radius, int smoothing, fr_err *err);
void fr_schedule_free(fr_schedule *s);

/* Shots and batches arrive in plan order; a batch's shot may still be open. */
fr_status fr_schedule_add_shot(fr_schedule *s, const fr_shot *shot, fr_err *err);
fr_status fr_schedule_add_batch(fr_schedule *s, const fr_batch *b, int done, int smoothed, fr_err *err);
/* The plan is complete: the film has `frames` frames. */
void fr_schedule_end(fr_schedule *s, int64_t frames);

void fr_schedule_mark_done(fr_schedule *s, int64_t row);
void fr_schedule_mark_smoothed(fr_schedule *s, int64_t row);

/* A batch ready to smooth and not yet handed out: its row and the window of
 * frames [lo, hi) to send. Returns 0 when none is ready. Marks it in flight. */
int fr_schedule_next_smooth(fr_schedule *s, int64_t *row, int64_t *lo, int64_t *hi);
/* The next batch, in order, whose final chroma is ready for the encoder.
 * Returns 0 when the next one is not ready. */
int fr_schedule_next_encode(fr_schedule *s, int64_t *row);
void fr_schedule_encoded(fr_schedule *s, int64_t row);

/* Reference frames: set_guiding once, before any batch, when the run has references;
 * guide_shot marks a closed shot as needing guidance (done 0) or already guided in the store
 * (done 1). next_guide gives a shot that needs it and whose batches are all final, and marks it
 * in flight; mark_guided ends it. */
void fr_schedule_set_guiding(fr_schedule *s);
void fr_schedule_guide_shot(fr_schedule *s, int64_t shot, int done);
int fr_schedule_next_guide(fr_schedule *s, int64_t *shot);
void fr_schedule_mark_guided(fr_schedule *s, int64_t shot);
/* 1 when the shot's final chroma is its guided chroma. */
int fr_schedule_guided(const fr_schedule *s, int64_t shot);
const fr_shot *fr_schedule_shot(const fr_schedule *s, int64_t shot);

const fr_batch *fr_schedule_batch(const fr_schedule *s, int64_t row);
int64_t fr_schedule_batches(const fr_schedule *s);
/* 1 when the plan is complete and every batch has gone to the encoder. */
int fr_schedule_all_encoded(const fr_schedule *s);
int64_t fr_schedule_frames_done(const fr_schedule *s);     /* colourised */
int64_t fr_schedule_frames_smoothed(const fr_schedule *s);

#endif
