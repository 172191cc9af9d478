/* job_runner.h: how the service starts, watches and stops a job's run.
 *
 * A runner is a table of functions and a context (ggml's backend style), so
 * the service never knows whether a run is a local mpirun (runner_local.c) or a
 * SLURM batch job (runner_slurm.c). A running job is named by a short text handle
 * (`ref`) that the queue persists, so a restarted daemon can find what a
 * previous one left running and stop it before the job is resumed. */
#ifndef FR_JOB_RUNNER_H
#define FR_JOB_RUNNER_H

#include "fr_status.h"

#define FR_JOB_REF_LEN 64
/* Seconds between a cancel's SIGTERM and the SIGKILL of what is left. */
#define FR_JOB_CANCEL_GRACE 5.0

typedef struct {
    char *const *argv;      /* `filmrestore run ...`, argv[0] the executable */
    char *const *env;       /* extra NAME=VALUE settings, NULL-terminated */
    const char *log_path;   /* the run's stdout and stderr, appended */
} fr_job_launch;

typedef struct {
    const char *name;
    /* Starts the run; writes its handle into ref. */
    fr_status (*start)(void *ctx, const fr_job_launch *l, char ref[FR_JOB_REF_LEN], fr_err *err);
    /* 0 while the run goes on; 1 once it has ended, with its exit status. */
    int (*poll)(void *ctx, const char *ref, int *exit_code);
    /* Asks the run to stop (its store stays resumable) and returns at once; poll
     * tells when it has. */
    void (*cancel)(void *ctx, const char *ref);
    /* Stops at once whatever of the run is left (SIGKILL), without waiting: the loop
     * calls it FR_JOB_CANCEL_GRACE seconds after cancel. NULL: cancel is enough. */
    void (*kill)(void *ctx, const char *ref);
    /* A handle left by a previous daemon: stops whatever still runs under it
     * and returns once it is gone. */
    void (*reap_stale)(void *ctx, const char *ref);
    void *ctx;
} fr_job_runner;

/* The local runner: the run as a child in a session of its own on this machine. */
const fr_job_runner *fr_job_runner_local(void);

/* The SLURM runner (runner_slurm.c): each run an sbatch of script (cluster/filmrestore.sbatch)
 * with sbatch_opts (NULL-terminated, may be NULL) first; both must outlive the runner. */
const fr_job_runner *fr_job_runner_slurm(const char *script, const char *const *sbatch_opts);

#endif
