/* fr_progress_event.h: what a running pipeline reports about its progress, and the hook
 * signature through which a sink (the terminal reporter, coordinator/progress.c; the job
 * service's pusher, jobs/job_progress.c) takes it. Kept in shared/ so that a sink and the
 * pipeline need not include each other. */
#ifndef FR_PROGRESS_EVENT_H
#define FR_PROGRESS_EVENT_H

#include <stdint.h>

typedef struct {
    const char *stage;   /* the segments' node stages, "colorize+smooth" or with restoration
                            "deflicker+dust+colorize+smooth" (segments finished), or "encode"
                            (frames muxed) */
    int64_t done, total; /* frames; total < 0 when unknown (an estimate until decoding ends) */
    int ranks_busy, ranks;
} fr_progress_event;

/* What the reporter works out from the events of one stage. */
typedef struct {
    double elapsed_s;    /* since the reporter was made */
    double fps;          /* the current stage's frames per second */
    double eta_s;        /* seconds left in the stage; < 0 when unknown */
} fr_progress_rate;

/* Called on every report and at each stage's end, with the event and its rate.
 * Runs on the reporting thread; keep it short. */
typedef void (*fr_progress_hook)(void *ctx, const fr_progress_event *ev, const fr_progress_rate *rate);

#endif
