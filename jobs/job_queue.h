/* job_queue.h: the service's jobs, kept in memory and on disk in the spool.
 *
 * Spool layout (docs/jobs.md):
 *   SPOOL/lock            flock'd by the one daemon that owns the spool
 *   SPOOL/jobs/ID.json    one record per job, replaced atomically on every
 *                         change of state (write a temporary, fsync, rename,
 *                         fsync the folder)
 *   SPOOL/logs/ID.log     the job's run output (stdout and stderr)
 *
 * A submit is acknowledged only after its record is on disk, so a daemon
 * killed at any moment loses no job it answered for. Records are never
 * deleted; ids are 'j' and six to nine digits, allocated one past the highest
 * found. Records are read back as untrusted input (job_record.h); one that fails
 * is renamed ID.json.bad with one log line. The live progress fields are kept in memory only. */
#ifndef FR_JOB_QUEUE_H
#define FR_JOB_QUEUE_H

#include <jansson.h>
#include <stdint.h>

#include "fr_status.h"
#include "job_request.h"

typedef enum { FR_JOB_QUEUED, FR_JOB_RUNNING, FR_JOB_DONE, FR_JOB_FAILED, FR_JOB_CANCELLED } fr_job_state;

const char *fr_job_state_name(fr_job_state s);
/* Done, failed and cancelled are final. */
int fr_job_state_final(fr_job_state s);

typedef struct {
    char id[FR_JOB_ID_LEN];
    long seq;              /* the id's number: submission order */
    fr_job_state state;
    json_t *spec;          /* the canonical job spec (owned) */
    long priority;         /* higher runs first */
    int attempts;          /* starts so far; a resume after a restart is one more */
    int exit_code;         /* the run's exit status, once final */
    char error[512];       /* why it failed, once final */
    char runner_ref[64];   /* the runner's handle for the running process */
    double submitted, started, finished; /* Unix seconds; 0 = not yet */
    int cancel_requested;  /* cancel asked while running: final state will be cancelled */
    char owner[48];        /* under CURVE: the submitter's public key (Z85); "" without CURVE */
    /* live progress, not persisted */
    char stage[16];
    int64_t done, total;
    double fps, eta;
    double last_event;     /* CLOCK_MONOTONIC seconds of the last PUB event */
    double cancel_sent;    /* CLOCK_MONOTONIC seconds when the run was asked to stop; 0: not */
} fr_job;

typedef struct fr_job_queue fr_job_queue;

/* Creates the spool's folders if needed, takes its lock and loads every
 * record. Fails if another daemon holds the spool. */
fr_status fr_job_queue_open(fr_job_queue **out, const char *spool, fr_err *err);
void fr_job_queue_free(fr_job_queue *q);

/* Adds a queued job (spec is taken over, even on failure) and writes it; owner is the
 * submitting client's key under CURVE, else NULL. */
fr_status fr_job_queue_add(fr_job_queue *q, json_t *spec, long priority, const char *owner, fr_job **out,
                           fr_err *err);
/* Writes j's record atomically. */
fr_status fr_job_queue_save(fr_job_queue *q, const fr_job *j, fr_err *err);

fr_job *fr_job_queue_find(fr_job_queue *q, const char *id);
size_t fr_job_queue_count(const fr_job_queue *q);
fr_job *fr_job_queue_at(fr_job_queue *q, size_t i);
/* The queued job to start next (highest priority, then oldest), or NULL. */
fr_job *fr_job_queue_next(fr_job_queue *q);
/* SPOOL/logs/ID.log */
void fr_job_queue_log_path(const fr_job_queue *q, const fr_job *j, char *buf, size_t len);
const char *fr_job_queue_spool(const fr_job_queue *q);

/* The job as a status object (docs/jobs.md); full adds the spec. NULL on no memory. */
json_t *fr_job_to_json(const fr_job_queue *q, const fr_job *j, int full);

#endif
