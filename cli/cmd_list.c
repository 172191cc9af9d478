/* cmd_list.c: `filmrestore list`: every job of the service, one line each
 * (or the reply's JSON with --json). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "job_cli.h"

typedef struct {
    fr_job_client_opts c;
    long json;
} list_args;

static const fr_opt rows[] = {
    {"json", 0, FR_OPT_FLAG, offsetof(list_args, json), NULL, 0, 1, "print the reply's job array as JSON"},
};

int fr_cmd_list(int argc, char **argv)
{
    list_args a;
    memset(&a, 0, sizeof a);
    fr_opt_group g = {rows, 1, 0, NULL};
    char *pos[1];
    int npos = 0;
    int rc = fr_job_cli_parse("usage: filmrestore list [options]\n\nLists the service's jobs: id, state, "
                              "stage, frames done/total, priority.\n",
                              &g, 1, &a, offsetof(list_args, c), argc, argv, pos, 0, &npos);
    if (rc >= 0)
        return rc;
    json_t *reply = NULL;
    if ((rc = fr_job_cli_call(&a.c, json_pack("{s:s}", "op", "list"), &reply)) != 0)
        return rc;
    json_t *jobs = json_object_get(reply, "jobs");
    if (a.json) {
        json_dumpf(jobs, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        putchar('\n');
    } else {
        printf("%-10s %-10s %-9s %17s %8s\n", "ID", "STATE", "STAGE", "FRAMES", "PRIORITY");
        size_t i;
        json_t *j;
        json_array_foreach(jobs, i, j) {
            char frames[48];
            long long total = json_integer_value(json_object_get(j, "total"));
            snprintf(frames, sizeof frames, "%lld/%s", (long long)json_integer_value(json_object_get(j, "done")),
                     total >= 0 ? "" : "?");
            if (total >= 0)
                snprintf(frames + strlen(frames), sizeof frames - strlen(frames), "%lld", total);
            const char *stage = json_string_value(json_object_get(j, "stage"));
            printf("%-10s %-10s %-9s %17s %8lld\n", json_string_value(json_object_get(j, "id")),
                   json_string_value(json_object_get(j, "state")), stage && stage[0] ? stage : "-", frames,
                   (long long)json_integer_value(json_object_get(j, "priority")));
        }
    }
    json_decref(reply);
    return 0;
}
