/* cmd_run.c: `filmrestore run INPUT -o OUTPUT`: colourise a film.
 *
 * Picks how to run: as one rank of an MPI job (under mpirun or srun), as the
 * launcher of an MPI job (--ranks N, --hostfile, --launcher: cluster/launch.c),
 * or in this one process (--ranks 0: the same pipeline, its node rank a thread). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fr_model_check.h"
#include "fr_node.h"
#include "fr_wire.h"
#include "job_progress.h"
#include "launch.h"
#include "pipeline.h"
#include "progress.h"
#include "fr_log.h"
#include "fr_output_lock.h"
#include "fr_video_in.h"
#include "run_confine.h"
#include "run_settings.h"

/* Live progress to the job service when this run is one of its jobs: the pusher
 * (jobs/job_progress.h) becomes the hook of every progress reporter the pipeline
 * makes, so the pipeline needs nothing from jobs/. NULL outside a job. */
static fr_job_pusher *job_progress_open(void)
{
    fr_job_pusher *j = fr_job_pusher_open();
    if (j)
        fr_progress_set_default_hook(fr_job_pusher_hook, j);
    return j;
}

static void job_progress_close(fr_job_pusher *j)
{
    fr_progress_set_default_hook(NULL, NULL);
    fr_job_pusher_free(j);
}

/* Rank 0's part, on an MPI rank or in this one process: the output is locked before
 * anything is written, and until its sidecar is. */
static fr_status coordinate(fr_wire *w, const fr_run_settings *s, fr_err *err)
{
    fr_job_pusher *pusher = job_progress_open();
    fr_output_lock *out = NULL;
    fr_status st = fr_output_lock_take(&out, s->output, fr_launch_owner_pid(), (int)s->overwrite, err);
    if (st == FR_OK) {
        st = fr_pipeline_coordinator(w, s, err);
        if (st == FR_OK)
            fr_output_lock_mark(out, FR_VERSION);
    } else { /* the nodes wait for a configuration: an empty model tells them to stop */
        fr_node_config none = {0};
        fr_err berr;
        fr_wire_bcast_config(w, &none, &berr);
    }
    fr_output_lock_free(out);
    job_progress_close(pusher);
    return st;
}

typedef struct {
    fr_wire *w;
    fr_err err;
} local_node;

static void *run_local_node(void *arg)
{
    local_node *n = arg;
    fr_node_main(n->w, &n->err); /* its errors went to the coordinator, which reports them */
    return NULL;
}

/* --ranks 0: the same pipeline in this one process, its node rank a thread, the messages
 * in queues (fr_wire_init_pair) instead of MPI. colorize-image runs each still this way. */
fr_status fr_run_in_process(const fr_run_settings *s, fr_err *err)
{
    fr_wire *w0 = NULL, *w1 = NULL;
    fr_status st = fr_wire_init_pair(&w0, &w1, err);
    if (st != FR_OK)
        return st;
    local_node n = {.w = w1};
    pthread_t t;
    fr_err ferr;
    if (pthread_create(&t, NULL, run_local_node, &n) != 0) {
        fr_wire_finalize(w0, &ferr);
        fr_wire_finalize(w1, &ferr);
        return fr_err_set(err, FR_ERR_INTERNAL, "cannot start the node thread");
    }
    st = coordinate(w0, s, err);
    pthread_join(t, NULL);
    fr_wire_finalize(w0, &ferr);
    fr_wire_finalize(w1, &ferr);
    return st;
}

/* One rank of an MPI job: the coordinator (rank 0) or a node. */
static int run_rank(int argc, char **argv, const fr_run_settings *s)
{
    fr_err err = {0};
    fr_wire *w = NULL;
    fr_launch_catch_stop(); /* before MPI starts: a stop must never kill a rank mid-write */
    fr_status st = fr_wire_init(&w, &argc, &argv, &err);
    if (st != FR_OK) {
        fr_cli_error("%s", err.msg);
        return 1;
    }
    int rank = fr_wire_rank(w);
    if (rank == 0) {
        st = coordinate(w, s, &err);
    } else
        st = fr_node_main(w, &err);
    fr_err ferr;
    fr_wire_finalize(w, &ferr);
    if (rank != 0) /* a node's error went to the coordinator, which reports it */
        return 0;
    int code = fr_status_exit_code(st);
    /* with the outcome in the launcher's status file, the launcher prints the error;
     * without (no launcher, or its file is on another host), this rank does */
    int reported = fr_launch_report(code, st == FR_OK ? "" : err.msg);
    if (st != FR_OK) {
        if (!reported)
            fr_cli_error("%s", err.msg);
        return reported ? 0 : code;
    }
    fr_info("coordinator", "wrote %s", s->output);
    return 0;
}

int fr_cmd_run(int argc, char **argv)
{
    fr_run_settings s;
    fr_run_settings_defaults(&s);
    fr_err err = {0};
    /* getopt_long permutes argv; mpirun gets the command line as the user typed it. */
    char **orig = malloc(sizeof *orig * (size_t)(argc + 1));
    if (!orig)
        return 1;
    memcpy(orig, argv, sizeof *orig * (size_t)(argc + 1));
    fr_status st = fr_run_settings_parse(&s, argc, argv, &err);
    int rc = 0;
    if (st == FR_EOF) {
        printf("usage: filmrestore run INPUT -o OUTPUT [options]\n\n"
               "Colourises INPUT on MPI ranks and writes OUTPUT with the source's own luma, audio\n"
               "and subtitles. The HDF5 store is the checkpoint: run the same command again to\n"
               "resume. Under mpirun, srun or inside a SLURM allocation the allocation's ranks are\n"
               "used; otherwise mpirun is started with --ranks node ranks plus the coordinator, on\n"
               "this machine or on the hosts of --hostfile FILE (see docs/cluster.md).\n\n");
        fr_run_settings_help(stdout);
    } else if (st != FR_OK || (st = fr_run_confine(&s, &err)) != FR_OK ||
               (!fr_wire_launched() && (st = fr_model_check_isolated(s.model, &err)) != FR_OK)) {
        fr_cli_error("%s", err.msg);
        rc = fr_status_exit_code(st);
    } else if (fr_video_in_set_policy(&(fr_video_in_policy){s.max_pixel_count, (int)s.tolerate_damage}), fr_wire_launched()) {
        rc = run_rank(argc, argv, &s);
    } else if (s.ranks > 0) {
        char store[1100], log[1200];
        fr_pipeline_store_path(&s, store, sizeof store);
        snprintf(log, sizeof log, "%s.mpirun.log", store);
        fr_launch_plan plan = {s.ranks, s.hostfile, s.launcher};
        rc = fr_launch_run(argc, orig, &plan, log);
    } else if ((fr_launch_catch_stop(), st = fr_run_in_process(&s, &err)) != FR_OK) {
        fr_cli_error("%s", err.msg);
        rc = fr_status_exit_code(st);
    } else {
        fr_info("coordinator", "wrote %s", s.output);
    }
    free(orig);
    return rc;
}
