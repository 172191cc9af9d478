/* job_progress.h: the running pipeline's side of live progress.
 *
 * When the job service starts a run it sets FILMRESTORE_JOB_PROGRESS (a ZeroMQ
 * endpoint) and FILMRESTORE_JOB_ID in its environment. The coordinator then
 * attaches a pusher to its fr_progress reporter (fr_progress_set_hook): each
 * event goes, at most five times a second and at every stage change, as one
 * JSON message on a PUSH socket to the daemon, which republishes it. Sending
 * never blocks the pipeline: when the daemon is gone, events are dropped. */
#ifndef FR_JOB_PROGRESS_H
#define FR_JOB_PROGRESS_H

#include "progress.h"

typedef struct fr_job_pusher fr_job_pusher;

/* Returns NULL (and does nothing) outside a job, or when the socket cannot be
 * made (progress is then only local; a warning is logged). */
fr_job_pusher *fr_job_pusher_attach(fr_progress *p);
void fr_job_pusher_free(fr_job_pusher *j);

#endif
