/* fr_launch_rank.h: an MPI rank's half of the handshake with the launcher (cluster/launch.c).
 *
 * The launcher names a status file and its own pid in the ranks' environment; a rank
 * writes the job's outcome into that file, takes the launcher's pid as the owner of the
 * run (the store lock), and turns SIGUSR1 (a stop the launcher forwards through mpirun or
 * srun) into a flag that the coordinator polls. Kept in shared/ so the coordinator needs
 * nothing from cluster/. */
#ifndef FR_LAUNCH_RANK_H
#define FR_LAUNCH_RANK_H

/* The environment the launcher sets for its ranks. */
#define FR_LAUNCH_STATUS_ENV "FILMRESTORE_STATUS_FILE"
#define FR_LAUNCH_PID_ENV "FILMRESTORE_LAUNCHER_PID"

/* In an MPI rank: records the job's outcome for the launching parent (if any). Returns 1
 * once written; 0 when there is no launcher, or its status file is on another host. */
int fr_launch_report(int code, const char *message);
/* The pid that owns this run: the launcher's when there is one, else this process's. */
int fr_launch_owner_pid(void);

/* In an MPI rank: SIGUSR1 (a stop forwarded by the launcher through mpirun) sets a flag
 * instead of killing the rank; the coordinator polls it and ends the run cleanly. */
void fr_launch_catch_stop(void);
int fr_launch_stop_requested(void);

#endif
