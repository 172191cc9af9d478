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
    const char *stage;   /* "colorize" or "encode": the only stages reported */
    int64_t done, total; /* frames; total < 0 when unknown (an estimate until decoding ends) */
    int ranks_busy, ranks;
} fr_progress_event;

/* What the reporter works out from the events of one stage. */
typedef struct {
    double elapsed_s;    /* since fr_progress_new */
    double fps;          /* the current stage's frames per second */
    double eta_s;        /* seconds left in the stage; < 0 when unknown */
} fr_progress_rate;

typedef struct fr_progress fr_progress;
/* Called on every report and at each stage's end, with the event and its rate.
 * Runs on the reporting thread; keep it short. */
typedef void (*fr_progress_hook)(void *ctx, const fr_progress_event *ev, const fr_progress_rate *rate);

/* Reports to f (stderr normally); a bar when f is a terminal. */
fr_progress *fr_progress_new(FILE *f);
void fr_progress_set_hook(fr_progress *p, fr_progress_hook hook, void *ctx);
void fr_progress_report(fr_progress *p, const fr_progress_event *ev);
/* Ends the current stage's line. */
void fr_progress_done(fr_progress *p, const fr_progress_event *ev);
void fr_progress_free(fr_progress *p);

/* A film's frame count for progress: the container's count, else its duration
 * times its frame rate (rounded), else -1. The caller replaces it with the
 * exact count once decoding has ended. */
int64_t fr_progress_total_estimate(int64_t nb_frames, double duration_s, int rate_num, int rate_den);

#endif
