/* progress.h: progress as events.
 *
 * The pipeline reports fr_progress_event values; a reporter turns them into a
 * one-line bar on a terminal (frames, fps, ETA, ranks busy) or plain lines
 * every few seconds otherwise. Other sinks (the job service's ZeroMQ PUB
 * socket) take the same events through fr_progress_set_hook. */
#ifndef FR_PROGRESS_H
#define FR_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

typedef struct {
    const char *stage;   /* "decode", "colorize", "smooth", "encode" */
    int64_t done, total; /* frames; total < 0 when unknown */
    int ranks_busy, ranks;
} fr_progress_event;

typedef struct fr_progress fr_progress;
typedef void (*fr_progress_hook)(void *ctx, const fr_progress_event *ev, double elapsed_s);

/* Reports to f (stderr normally); a bar when f is a terminal. */
fr_progress *fr_progress_new(FILE *f);
void fr_progress_set_hook(fr_progress *p, fr_progress_hook hook, void *ctx);
void fr_progress_report(fr_progress *p, const fr_progress_event *ev);
/* Ends the current stage's line. */
void fr_progress_done(fr_progress *p, const fr_progress_event *ev);
void fr_progress_free(fr_progress *p);

#endif
