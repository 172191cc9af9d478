/* cmd_cancel.c: `filmrestore cancel ID`: a queued job is dropped; a running
 * one is stopped (SIGKILL to every process of its run's session), and its store is left as a checkpoint,
 * so the same spec submitted again, or `filmrestore run`, resumes it. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "job_cli.h"

int fr_cmd_cancel(int argc, char **argv)
{
    fr_job_client_opts o;
    memset(&o, 0, sizeof o);
    char *pos[1];
    int npos = 0;
    int rc = fr_job_cli_parse("usage: filmrestore cancel ID [options]\n\nCancels a job; a running job's "
                              "store stays resumable.\n",
                              NULL, 0, &o, 0, argc, argv, pos, 1, &npos);
    if (rc >= 0)
        return rc;
    if (npos != 1) {
        fr_cli_error("cancel: expected one job ID");
        return 2;
    }
    json_t *reply = NULL;
    if ((rc = fr_job_cli_call(&o, json_pack("{s:s, s:s}", "op", "cancel", "id", pos[0]), &reply)) != 0)
        return rc;
    printf("%s %s\n", pos[0],
           json_string_value(json_object_get(json_object_get(reply, "job"), "state")));
    json_decref(reply);
    return 0;
}
