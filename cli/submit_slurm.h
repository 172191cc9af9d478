/* submit_slurm.h: `filmrestore submit --slurm`: a job spec straight to SLURM's sbatch,
 * without the job service (shared/fr_slurm.h does the talking to SLURM). */
#ifndef FR_SUBMIT_SLURM_H
#define FR_SUBMIT_SLURM_H

#include <jansson.h>

#include "fr_opts.h"

typedef struct {
    long slurm;               /* 1: --slurm was given */
    long wait;                /* 1: follow the job until it ends; exit with its outcome */
    const char *script;       /* --sbatch-script; NULL: cluster/filmrestore.sbatch beside the build */
    fr_opt_list sbatch;       /* --sbatch OPT, repeatable */
} fr_submit_slurm_args;

/* Checks spec as the job service would (any absolute path allowed), submits it with sbatch
 * and prints SLURM's job id; with wait, follows it through squeue (then sacct or scontrol)
 * and returns 0 once it completed, else its exit status. Errors are printed as one line. */
int fr_submit_slurm(json_t *spec, const fr_submit_slurm_args *a);

#endif
