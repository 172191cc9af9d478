/* job_cli.c: shared pieces of the job-service commands (job_cli.h). */
#include "job_cli.h"
#include "run_settings.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"

#define C(f) offsetof(fr_job_client_opts, f)
const fr_opt fr_job_client_rows[] = {
    {"connect", 0, FR_OPT_STRING, C(connect), NULL, 0, 0,
     "the service's request socket [$FILMRESTORE_JOBS or tcp://127.0.0.1:5580]"},
    {"events", 0, FR_OPT_STRING, C(events), NULL, 0, 0, "its events socket [as the service says]"},
    {"timeout", 0, FR_OPT_LONG, C(timeout_ms), "5000", 1, 3600000, "milliseconds to wait for a reply"},
    {"server-key", 0, FR_OPT_STRING, C(server_key), NULL, 0, 0, "the service's public key file (CURVE)"},
    {"key", 0, FR_OPT_STRING, C(key), NULL, 0, 0, "this client's secret key file (CURVE)"},
};
#undef C
const size_t fr_job_client_rows_count = sizeof fr_job_client_rows / sizeof fr_job_client_rows[0];

/* submit's: every group of run's, its own "queue" rows, and the connection's */
#define MAX_GROUPS (FR_RUN_GROUPS + 2)

int fr_job_cli_parse(const char *usage, fr_opt_group *extra, size_t n_extra, void *args, size_t c_offset,
                     int argc, char **argv, char **pos, int max_pos, int *npos)
{
    fr_opt_group g[MAX_GROUPS];
    size_t ng = 0;
    if (n_extra > MAX_GROUPS - 1) { /* a table grew past this: never drop options silently */
        fr_cli_error("internal: %zu option groups, at most %d", n_extra, MAX_GROUPS - 1);
        return 2;
    }
    for (size_t i = 0; i < n_extra; i++)
        g[ng++] = extra[i];
    g[ng++] = (fr_opt_group){fr_job_client_rows, fr_job_client_rows_count, c_offset, "service connection"};
    fr_opts_defaults(g, ng, args);
    char text[8192];
    snprintf(text, sizeof text, "%s\n", usage);
    return fr_opts_command(g, ng, args, text, argc, argv, pos, max_pos, npos);
}

int fr_job_cli_call(const fr_job_client_opts *o, json_t *request, json_t **reply)
{
    *reply = NULL;
    fr_job_client *c = NULL;
    fr_err err = {0};
    fr_status st = fr_job_client_new(&c, o, &err);
    if (st == FR_OK)
        st = fr_job_client_call(c, request, reply, &err);
    else
        json_decref(request);
    fr_job_client_free(c);
    if (st != FR_OK) {
        fr_cli_error("%s", err.msg);
        json_decref(*reply);
        *reply = NULL;
        return fr_status_exit_code(st);
    }
    return 0;
}
