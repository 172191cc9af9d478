/* progress.h: progress as events.
 *
 * The pipeline reports fr_progress_event values; a reporter turns them into a
 * one-line bar on a terminal (frames, fps, ETA, ranks busy) or plain lines
 * every few seconds otherwise. Other sinks (the job service's ZeroMQ PUB
 * socket) take the same events through a hook: fr_progress_set_hook on one
 * reporter, or fr_progress_set_default_hook, which the layer above the pipeline
 * (cli/cmd_run.c) calls so the pipeline itself knows no sink. */
#ifndef FR_PROGRESS_H
#define FR_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

#include "fr_progress_event.h" /* fr_progress_event, fr_progress_rate, fr_progress_hook */

typedef struct fr_progress fr_progress;

/* Reports to f (stderr normally); a bar when f is a terminal. */
fr_progress *fr_progress_new(FILE *f);
void fr_progress_set_hook(fr_progress *p, fr_progress_hook hook, void *ctx);
/* The hook every reporter made after this call starts with (NULL: none). Set it
 * before the pipeline starts and clear it after, from one thread. */
void fr_progress_set_default_hook(fr_progress_hook hook, void *ctx);
void fr_progress_report(fr_progress *p, const fr_progress_event *ev);
/* Ends the current stage's line. */
void fr_progress_done(fr_progress *p, const fr_progress_event *ev);
void fr_progress_free(fr_progress *p);

/* A film's frame count for progress: the container's count, else its duration
 * times its frame rate (rounded), else -1. The caller replaces it with the
 * exact count once decoding has ended. */
int64_t fr_progress_total_estimate(int64_t nb_frames, double duration_s, int rate_num, int rate_den);

#endif
