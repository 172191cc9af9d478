/* job_ops.h: what filmrestored does for each request op and on each tick of
 * its loop: submit, status, list, cancel and ping replies; starting queued
 * jobs on the runner; reaping ended runs; republishing progress. The loop and
 * the sockets are job_server.c's. */
#ifndef FR_JOB_OPS_H
#define FR_JOB_OPS_H

#include <limits.h>
#include <stddef.h>

#include "job_auth.h"
#include "job_conn_cap.h"
#include "job_queue.h"
#include "job_runner.h"
#include "job_server.h"

typedef struct {
    const fr_job_server_opts *o;
    fr_job_queue *q;
    const fr_job_runner *runner;
    char roots[FR_OPT_LIST_MAX][PATH_MAX]; /* --allow-root, resolved */
    const char *root_ptrs[FR_OPT_LIST_MAX];
    int n_roots;
    char exe[PATH_MAX];          /* filmrestore, for the runs */
    char sbatch_script[PATH_MAX]; /* the slurm runner's script, resolved */
    const char *sbatch_opts[FR_OPT_LIST_MAX + 1]; /* --sbatch-option, NULL-terminated */
    void *pub;                   /* PUB socket (job_server.c owns it) */
    fr_job_zap *zap;
    fr_job_conn_cap *cap_req, *cap_pub; /* connection caps (job_server.c owns them) */
    char requests_ep[256], events_ep[256], progress_ep[PATH_MAX + 32];
    int running;                 /* jobs in state running */
    double last_republish;
} fr_job_ops;

/* Opens the spool and resolves the roots and the executable. */
fr_status fr_job_ops_init(fr_job_ops *ops, const fr_job_server_opts *o, fr_err *err);
/* At startup: runs left by a previous daemon are stopped and requeued. */
void fr_job_ops_recover(fr_job_ops *ops);
/* The reply (malloc'd JSON text) to one request's bytes. key: the client's CURVE key
 * (its messages' User-Id), or NULL without CURVE. Under CURVE a job belongs to the key
 * that submitted it: status, cancel and list see only the client's own jobs, except for
 * keys of the admin folder, which see and cancel every job. */
char *fr_job_ops_handle(fr_job_ops *ops, const char *buf, size_t len, const char *key);
/* An error reply; id may be NULL. */
char *fr_job_ops_error(const char *msg, const char *id);
/* Sends j's state on the PUB socket, topic = its id. */
void fr_job_ops_publish(fr_job_ops *ops, fr_job *j);
/* Reaps ended runs, starts queued jobs, republishes; now is CLOCK_MONOTONIC. */
void fr_job_ops_tick(fr_job_ops *ops, double now);
/* Asks every run to stop (they stay "running" on disk, to resume). */
void fr_job_ops_shutdown(fr_job_ops *ops);
void fr_job_ops_free(fr_job_ops *ops);

#endif
