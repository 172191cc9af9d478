/* job_progress.h: the running pipeline's side of live progress.
 *
 * When the job service starts a run it sets FILMRESTORE_JOB_PROGRESS (a ZeroMQ
 * endpoint) and FILMRESTORE_JOB_ID in its environment. `filmrestore run` then
 * opens a pusher and hands fr_job_pusher_hook to the pipeline's progress
 * reporter (cli/cmd_run.c; the pipeline never includes this file): each
 * event goes, at most five times a second and at every stage change, as one
 * JSON message on a PUSH socket to the daemon, which republishes it. Sending
 * never blocks the pipeline: when the daemon is gone, events are dropped. */
#ifndef FR_JOB_PROGRESS_H
#define FR_JOB_PROGRESS_H

#include "fr_progress_event.h"

typedef struct fr_job_pusher fr_job_pusher;

/* Returns NULL (and does nothing) outside a job, or when the socket cannot be
 * made (progress is then only local; a warning is logged). */
fr_job_pusher *fr_job_pusher_open(void);
/* An fr_progress_hook; ctx is the pusher. */
void fr_job_pusher_hook(void *ctx, const fr_progress_event *ev, const fr_progress_rate *rate);
void fr_job_pusher_free(fr_job_pusher *j);

#endif
