/* job_server.h: filmrestored's sockets and its one event loop.
 *
 * Sockets (docs/jobs.md):
 *   requests  ROUTER, bound to --bind: one JSON request in, one JSON reply out
 *             (REQ and DEALER clients both work: an empty delimiter frame is
 *             mirrored when the client sent one)
 *   events    PUB, bound to --publish: [job id][status JSON], a full state each
 *             time (never a delta), so a late subscriber misses nothing it needs
 *   progress  PULL, bound to ipc://SPOOL/progress.ipc: the running pipelines'
 *             events (jobs/job_progress.c), republished on events
 *
 * State machine of a job (each arrow is one atomic record write, job_queue.c):
 *   queued --start_job--> running --reap--> done | failed | cancelled
 *   queued --cancel--> cancelled
 *   running (found at startup) --recover--> queued (the store resumes it)
 * A record says "running" before the run is started, so a crash between the
 * two restarts the job rather than forgetting it; a record says "done" only
 * after the run has exited 0. */
#ifndef FR_JOB_SERVER_H
#define FR_JOB_SERVER_H

#include "fr_opts.h"
#include "fr_status.h"

typedef struct {
    const char *spool;
    const char *bind;          /* requests endpoint */
    const char *publish;       /* events endpoint; NULL: port after bind's */
    long max_running;          /* 0: accept jobs but start none (a hold) */
    fr_opt_list allow_root;    /* input and output must lie under these */
    const char *curve_secret;  /* server secret key file; required off loopback */
    const char *curve_clients; /* folder of authorised client .pub files */
    const char *curve_admins;  /* folder of admin .pub files: they see and cancel every job */
    const char *filmrestore;   /* the filmrestore executable the runs use */
    long max_msg;              /* bytes: ZMQ_MAXMSGSIZE of the request socket */
    long max_conn;             /* connections each listening socket keeps (job_conn_cap.h) */
    const char *keygen;        /* --keygen PREFIX: write a key pair and exit */
    const char *runner;        /* local | slurm */
    const char *sbatch_script; /* the slurm runner's batch script; NULL: cluster/filmrestore.sbatch */
    fr_opt_list sbatch_opt;    /* options the slurm runner gives sbatch */
    const char *http;          /* --http HOST:PORT: the web page (job_http.h); NULL: none */
    const char *http_token;    /* --http-token FILE: its bearer token; required off loopback */
} fr_job_server_opts;

/* Runs until SIGINT or SIGTERM. */
fr_status fr_job_server_run(const fr_job_server_opts *o, fr_err *err);

/* 1 if a ZeroMQ endpoint is only reachable from this machine (ipc, inproc,
 * or tcp on 127.0.0.0/8, ::1 or localhost). */
int fr_job_endpoint_local(const char *endpoint);

#endif
