/* filmrestored.c: the job service's command line (job_server.h does the
 * work). Its options are a table (shared/fr_opts.h), like every command's. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "fr_log.h"
#include "fr_opts.h"
#include "job_auth.h"
#include "job_server.h"

#define O(f) offsetof(fr_job_server_opts, f)
static const fr_opt rows[] = {
    {"spool", 0, FR_OPT_STRING, O(spool), NULL, 0, 0, "folder of the persistent queue and the job logs (required)"},
    {"bind", 0, FR_OPT_STRING, O(bind), "tcp://127.0.0.1:5580", 0, 0,
     "request socket (ROUTER); off loopback it needs CURVE"},
    {"publish", 0, FR_OPT_STRING, O(publish), NULL, 0, 0, "progress events socket (PUB) [bind's port + 1]"},
    {"max-running", 0, FR_OPT_LONG, O(max_running), "1", 0, 64,
     "jobs run side by side (0: accept jobs, start none)"},
    {"allow-root", 0, FR_OPT_LIST, O(allow_root), NULL, 0, 0,
     "a folder inputs and outputs may lie under (repeatable; at least one)"},
    {"curve-secret", 0, FR_OPT_STRING, O(curve_secret), NULL, 0, 0, "the server's secret key file (from --keygen)"},
    {"curve-clients", 0, FR_OPT_STRING, O(curve_clients), NULL, 0, 0, "folder of authorised client keys (*.pub)"},
    {"curve-admins", 0, FR_OPT_STRING, O(curve_admins), NULL, 0, 0,
     "folder of admin keys (*.pub): they see and cancel every job [none]"},
    {"filmrestore", 0, FR_OPT_STRING, O(filmrestore), NULL, 0, 0,
     "the filmrestore executable for the runs [beside filmrestored]"},
    {"max-message", 0, FR_OPT_LONG, O(max_msg), "65536", 1024, 16777216,
     "largest request in bytes (ZMQ_MAXMSGSIZE); a larger one drops the client"},
    {"max-connections", 0, FR_OPT_LONG, O(max_conn), "256", 1, 65536,
     "connections each socket keeps; one beyond is dropped as it is accepted"},
    {"keygen", 0, FR_OPT_STRING, O(keygen), NULL, 0, 0, "write a CURVE key pair PREFIX.key, PREFIX.pub and exit"},
    {"runner", 0, FR_OPT_STRING, O(runner), "local", 0, 0, "where runs go: local (mpirun here) or slurm (sbatch)"},
    {"sbatch-script", 0, FR_OPT_STRING, O(sbatch_script), NULL, 0, 0,
     "the slurm runner's batch script [cluster/filmrestore.sbatch beside the build]"},
    {"sbatch-option", 0, FR_OPT_LIST, O(sbatch_opt), NULL, 0, 0,
     "an option the slurm runner gives sbatch, e.g. --sbatch-option=--nodes=4 (repeatable)"},
    {"http", 0, FR_OPT_STRING, O(http), NULL, 0, 0,
     "serve the web page on HOST:PORT, e.g. 127.0.0.1:8080 (port 0: any free one); off loopback it needs --http-token"},
    {"http-token", 0, FR_OPT_STRING, O(http_token), NULL, 0, 0,
     "file holding the web page's bearer token (16+ characters, mode 600)"},
};
#undef O

int main(int argc, char **argv)
{
    fr_opt_group g = {rows, sizeof rows / sizeof rows[0], 0, NULL};
    fr_job_server_opts o;
    memset(&o, 0, sizeof o);
    fr_opts_defaults(&g, 1, &o);
    fr_err err = {0};
    char *pos[1];
    int npos = 0;
    fr_status st = fr_opts_getopt(&g, 1, &o, argc, argv, pos, 0, &npos, &err);
    if (st == FR_EOF) {
        printf("usage: filmrestored --spool DIR --allow-root DIR [options]\n\n"
               "The job service: a persistent queue of `filmrestore run` jobs, taken as JSON\n"
               "over ZeroMQ, with live progress events (docs/jobs.md).\n\n");
        fr_opts_help(stdout, &g, 1, NULL);
        return 0;
    }
    if (st == FR_OK && o.keygen) {
        if ((st = fr_job_keygen(o.keygen, &err)) == FR_OK) {
            printf("wrote %s.key (secret) and %s.pub\n", o.keygen, o.keygen);
            return 0;
        }
    } else if (st == FR_OK && !o.spool) {
        st = fr_err_set(&err, FR_ERR_ARG, "missing --spool DIR");
    }
    if (st == FR_OK)
        st = fr_job_server_run(&o, &err);
    if (st != FR_OK) {
        fprintf(stderr, "filmrestored: %s\n", err.msg);
        return fr_status_exit_code(st);
    }
    return 0;
}
