/* fr_slurm.h: SLURM's own commands (sbatch, squeue, sacct, scontrol, scancel), run for
 * `filmrestore submit --slurm` and the job service's SLURM runner (jobs/runner_slurm.c).
 *
 * Every command is an argument vector given to execvp, never a shell line, so no path or
 * option of a job can reach a shell. A job is named by SLURM's id, as text ("123", or
 * "123_4" for an array task). */
#ifndef FR_SLURM_H
#define FR_SLURM_H

#include "fr_status.h"

#define FR_SLURM_ID_LEN 32

typedef struct {
    const char *script;             /* cluster/filmrestore.sbatch, or the user's copy */
    const char *const *sbatch_opts; /* extra sbatch options ("--nodes=4"), NULL-terminated; may be NULL */
    const char *log_path;           /* the job's output (--output, appended); NULL: the script's own */
    char *const *run_argv;          /* `filmrestore run` as job_spec.c builds it:
                                     * EXE run --name=value... -- INPUT (--output=OUTPUT among them) */
    char *const *env;               /* NAME=VALUE added to sbatch's environment (which the job
                                     * inherits), NULL-terminated; may be NULL */
} fr_slurm_submit_opts;

/* Submits the run with sbatch SCRIPT INPUT OUTPUT [run options]; writes SLURM's job id. */
fr_status fr_slurm_submit(const fr_slurm_submit_opts *o, char id[FR_SLURM_ID_LEN], fr_err *err);

/* Where a job stands: 0 while queued or running (state names SLURM's state: PENDING,
 * RUNNING, REQUEUED...), 1 once it has ended (*exit_code: 0 for COMPLETED, its exit status
 * or 128 + signal for a failure, 143 when cancelled, 1 when the state gives none), -1 when
 * SLURM no longer knows it, 2 when SLURM cannot be asked now (the controller out of reach:
 * ask again later). squeue first; for a job no longer queued sacct where accounting is on,
 * else scontrol show job. */
int fr_slurm_state(const char *id, char *state, size_t len, int *exit_code);

/* scancel: SLURM sends SIGTERM, then SIGKILL after KillWait; the store stays resumable. */
void fr_slurm_cancel(const char *id);

/* 1 if text is a SLURM job id as fr_slurm_submit writes it. */
int fr_slurm_id_valid(const char *id);

#endif
