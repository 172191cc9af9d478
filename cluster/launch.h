/* launch.h: starting the MPI job for `filmrestore run --ranks N`.
 *
 * Outside MPI, `run` re-executes itself under mpirun with N node ranks plus
 * the coordinator (inside a SLURM allocation, on the allocation's slots; with
 * --hostfile, on that file's hosts; with --launcher srun, under srun), as
 * root with Open MPI's run-as-root settings. The launching process stays as a
 * parent: it forwards the ranks' log and progress lines, keeps mpirun's own
 * diagnostics in a log file, and ends with the coordinator's exit status and
 * one-line error, so a failed job reads like any other failed command. */
#ifndef FR_LAUNCH_H
#define FR_LAUNCH_H

#include "fr_launch_rank.h" /* the ranks' half: outcome, owner pid, stop flag */
#include "fr_status.h"

typedef struct {
    long ranks;           /* node ranks to start (local and hostfile launches) */
    const char *hostfile; /* an Open MPI hostfile, or NULL */
    const char *launcher; /* "auto" (mpirun), "mpirun" or "srun" (inside an allocation only) */
} fr_launch_plan;

/* Runs argv (the `run` command line) under mpirun or srun, as the plan says; returns the
 * exit code (2 with one error line for a plan that cannot run here). */
int fr_launch_run(int argc, char **argv, const fr_launch_plan *plan, const char *log_path);

#endif
