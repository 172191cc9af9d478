/* job_cli.h: what the job-service commands (submit, status, list, watch,
 * cancel) share: the client's option rows (--connect, --timeout, CURVE keys)
 * and a one-call request helper that prints the failure as one line. */
#ifndef FR_JOB_CLI_H
#define FR_JOB_CLI_H

#include <jansson.h>

#include "fr_opts.h"
#include "job_client.h"

extern const fr_opt fr_job_client_rows[];
extern const size_t fr_job_client_rows_count;

/* Parses a client command's argv: the client rows (at offsetof c in the
 * command's struct `args`) plus extra groups; returns -1 to go on, else the
 * exit code (after --help or an error). usage is the first help line. */
int fr_job_cli_parse(const char *usage, fr_opt_group *extra, size_t n_extra, void *args, size_t c_offset,
                     int argc, char **argv, char **pos, int max_pos, int *npos);

/* Connects and sends one request; on failure prints "filmrestore: ..." and
 * returns the exit code (reply, if any, is freed); else 0 and *reply. */
int fr_job_cli_call(const fr_job_client_opts *o, json_t *request, json_t **reply);

#endif
