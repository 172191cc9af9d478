/* runner_slurm.c: the SLURM runner (job_runner.h): each job is one sbatch of
 * cluster/filmrestore.sbatch (fr_slurm.h), its handle SLURM's job id.
 *
 * start submits (the job's log is the sbatch output, appended, so a requeued job's second
 * run lands in the same log); poll asks squeue, and once the job has left the queue sacct
 * or scontrol, at most once a second a job, since each is a round trip to slurmctld;
 * cancel is scancel; a handle left by a previous daemon is cancelled and waited for, since
 * SLURM would otherwise still be writing the store when the job is resumed. A requeued or
 * preempted job stays "running" here: SLURM runs it again and it resumes from its store. */
#include "job_runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fr_slurm.h"

#define MAX_WATCHED 64

typedef struct {
    char id[FR_SLURM_ID_LEN];
    double asked;    /* monotonic seconds of the last question to SLURM */
    int ended, code; /* its last answer */
} watched;

typedef struct {
    const char *script;
    const char *const *sbatch_opts;
    watched w[MAX_WATCHED];
} slurm_ctx;

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static fr_status slurm_start(void *ctx, const fr_job_launch *l, char ref[FR_JOB_REF_LEN], fr_err *err)
{
    slurm_ctx *c = ctx;
    /* the job finds filmrestore through FILMRESTORE (cluster/filmrestore.sbatch) */
    char exe[4200];
    snprintf(exe, sizeof exe, "FILMRESTORE=%s", l->argv[0]);
    char *env[8];
    size_t n = 0;
    env[n++] = exe;
    for (char *const *e = l->env; e && *e && n < 7; e++)
        env[n++] = *e;
    env[n] = NULL;
    fr_slurm_submit_opts o = {c->script, c->sbatch_opts, l->log_path, l->argv, env};
    char id[FR_SLURM_ID_LEN];
    fr_status st = fr_slurm_submit(&o, id, err);
    if (st != FR_OK)
        return st;
    snprintf(ref, FR_JOB_REF_LEN, "%s", id);
    return FR_OK;
}

/* The table's slot for ref: its own, else a free one, else the oldest. */
static watched *slot(slurm_ctx *c, const char *ref)
{
    watched *free_slot = NULL, *oldest = &c->w[0];
    for (int i = 0; i < MAX_WATCHED; i++) {
        if (!strcmp(c->w[i].id, ref))
            return &c->w[i];
        if (!c->w[i].id[0] && !free_slot)
            free_slot = &c->w[i];
        if (c->w[i].asked < oldest->asked)
            oldest = &c->w[i];
    }
    watched *w = free_slot ? free_slot : oldest;
    memset(w, 0, sizeof *w);
    snprintf(w->id, sizeof w->id, "%s", ref);
    w->asked = -1e9;
    return w;
}

static int slurm_poll(void *ctx, const char *ref, int *exit_code)
{
    slurm_ctx *c = ctx;
    watched *w = slot(c, ref);
    double now = mono();
    if (!w->ended && now - w->asked >= 1.0) {
        char state[64];
        int code = 1, r = fr_slurm_state(ref, state, sizeof state, &code);
        w->asked = now;
        if (r == 1 || r == -1) { /* ended, or unknown to SLURM (gone from its memory): a failure */
            w->ended = 1;
            w->code = r == 1 ? code : 1;
        }
    }
    if (!w->ended)
        return 0;
    *exit_code = w->code;
    w->id[0] = 0; /* told once; the slot is free again */
    return 1;
}

static void slurm_cancel(void *ctx, const char *ref)
{
    (void)ctx;
    fr_slurm_cancel(ref);
}

static void slurm_reap_stale(void *ctx, const char *ref)
{
    (void)ctx;
    fr_slurm_cancel(ref);
    for (int i = 0; i < 120; i++) { /* up to a minute: KillWait, then the job's epilogue */
        char state[64];
        int code;
        int r = fr_slurm_state(ref, state, sizeof state, &code);
        if (r == 1 || r == -1)
            return;
        struct timespec ts = {0, 500000000};
        nanosleep(&ts, NULL);
    }
}

static slurm_ctx the_ctx;
static fr_job_runner slurm_runner = {
    .name = "slurm",
    .start = slurm_start,
    .poll = slurm_poll,
    .cancel = slurm_cancel,
    .kill = NULL, /* scancel does its own escalation (KillWait) */
    .reap_stale = slurm_reap_stale,
    .ctx = &the_ctx,
};

const fr_job_runner *fr_job_runner_slurm(const char *script, const char *const *sbatch_opts)
{
    the_ctx.script = script;
    the_ctx.sbatch_opts = sbatch_opts;
    return &slurm_runner;
}
