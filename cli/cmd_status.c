/* cmd_status.c: `filmrestore status [ID]`: one job's status as JSON, or,
 * without ID, the service's own (its ping reply). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "job_cli.h"

int fr_cmd_status(int argc, char **argv)
{
    fr_job_client_opts o;
    memset(&o, 0, sizeof o);
    char *pos[1];
    int npos = 0;
    int rc = fr_job_cli_parse("usage: filmrestore status [ID] [options]\n\n"
                              "Prints a job's status (state, stage, frames, fps, ETA, log file, spec) as\n"
                              "JSON; without ID, the service's version and counts.\n",
                              NULL, 0, &o, 0, argc, argv, pos, 1, &npos);
    if (rc >= 0)
        return rc;
    json_t *req = npos ? json_pack("{s:s, s:s}", "op", "status", "id", pos[0]) : json_pack("{s:s}", "op", "ping");
    json_t *reply = NULL;
    if ((rc = fr_job_cli_call(&o, req, &reply)) != 0)
        return rc;
    json_t *show = npos ? json_object_get(reply, "job") : reply;
    json_dumpf(show, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    putchar('\n');
    json_decref(reply);
    return 0;
}
