/* watchdog.h: ends a run whose node rank is stopped or hung.
 *
 * A node that holds one job longer than the timeout (FILMRESTORE_JOB_TIMEOUT seconds,
 * default 1800), or to which the scheduler cannot hand its next job for that long (the
 * scheduler's send blocks on a stopped receiver), ends the run: one error line naming the
 * node rank and its job, then the process exits with status 1 (under MPI, mpirun then
 * ends every rank). Nothing can take a job back from a stopped rank, and MPI_Finalize
 * would wait for it, so there is no gentler way out. The store keeps every finished
 * segment: a rerun resumes.
 *
 * The watch runs on a thread of its own, so a scheduler blocked in MPI still gets
 * watched; the thread calls no MPI (the coordinator's MPI is FUNNELED). The scheduler
 * tells it, each turn, what every node holds (fr_watchdog_update); the thread only reads
 * that copy, under its lock. */
#ifndef FR_WATCHDOG_H
#define FR_WATCHDOG_H

#include <stdint.h>

#include "fr_status.h"

#define FR_JOB_TIMEOUT_DEFAULT 1800 /* seconds: far above any segment's time */

typedef struct {
    int busy;           /* 0: idle */
    int features;       /* 1: a chunk's shot features; 0: a segment */
    int64_t index;      /* the segment's row, or the chunk's number */
    int64_t first, last;/* its frames */
} fr_watchdog_job;

typedef struct fr_watchdog fr_watchdog;

/* The timeout in force: FILMRESTORE_JOB_TIMEOUT when a positive number, else the default. */
long fr_watchdog_timeout(void);
/* Starts watching nodes 1..nodes; store_path goes into the message. */
fr_status fr_watchdog_start(fr_watchdog **out, int nodes, const char *store_path, fr_err *err);
/* jobs[1..nodes]: what each node holds now; next_rank: the node the next job goes to (0 if
 * none is idle). A job's clock starts when it first appears here. */
void fr_watchdog_update(fr_watchdog *wd, const fr_watchdog_job *jobs, int next_rank);
/* Stops the thread; NULL is fine. */
void fr_watchdog_free(fr_watchdog *wd);

#endif
