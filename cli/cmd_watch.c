/* cmd_watch.c: `filmrestore watch ID`: a live progress bar for one job until
 * it ends; exits 0 when it is done, 1 when it failed, 3 when it was cancelled.
 *
 * It subscribes to the job's events first and only then asks for its status,
 * so no change between the two is missed; events are full states, and when
 * none comes for two seconds it asks again (a job that ended before the
 * subscription took hold). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "job_cli.h"

static int final_code(const char *state)
{
    if (!strcmp(state, "done"))
        return 0;
    if (!strcmp(state, "cancelled"))
        return 3;
    if (!strcmp(state, "failed"))
        return 1;
    return -1;
}

static void show(const json_t *j, int tty)
{
    const char *state = json_string_value(json_object_get(j, "state"));
    const char *stage = json_string_value(json_object_get(j, "stage"));
    long long done = json_integer_value(json_object_get(j, "done"));
    long long total = json_integer_value(json_object_get(j, "total"));
    double fps = json_number_value(json_object_get(j, "fps"));
    double eta = json_number_value(json_object_get(j, "eta"));
    char etas[32] = "--:--", tot[32] = "?";
    if (eta >= 0 && total >= 0) {
        long s = (long)eta;
        snprintf(etas, sizeof etas, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    }
    if (total >= 0)
        snprintf(tot, sizeof tot, "%lld", total);
    const char *label = stage && stage[0] ? stage : state ? state : "?";
    if (tty) {
        int width = 30, fill = total > 0 ? (int)(width * (done > total ? total : done) / total) : 0;
        char bar[64];
        memset(bar, '#', (size_t)fill);
        memset(bar + fill, '.', (size_t)(width - fill));
        bar[width] = 0;
        fprintf(stderr, "\r[%s] %s [%s] %lld/%s frames  %.1f fps  ETA %s   ", state ? state : "?", label, bar, done,
                tot, fps, etas);
    } else {
        fprintf(stderr, "[watch] %s %s %lld/%s frames %.1f fps eta %s\n", state ? state : "?", label, done, tot,
                fps, etas);
    }
    fflush(stderr);
}

int fr_cmd_watch(int argc, char **argv)
{
    fr_job_client_opts o;
    memset(&o, 0, sizeof o);
    char *pos[1];
    int npos = 0;
    int rc = fr_job_cli_parse("usage: filmrestore watch ID [options]\n\nShows a job's progress until it "
                              "ends; exits 0 (done), 1 (failed) or 3 (cancelled).\n",
                              NULL, 0, &o, 0, argc, argv, pos, 1, &npos);
    if (rc >= 0)
        return rc;
    if (npos != 1) {
        fr_cli_error("watch: expected one job ID");
        return 2;
    }
    const char *id = pos[0];
    int tty = isatty(STDERR_FILENO) || getenv("FILMRESTORE_PROGRESS_TTY");
    fr_job_client *c = NULL;
    fr_err err = {0};
    fr_status st = fr_job_client_new(&c, &o, &err);
    if (st == FR_OK)
        st = fr_job_client_subscribe(c, id, &err);
    json_t *state = NULL;
    int ask = 1;
    rc = -1;
    while (st == FR_OK && rc < 0) {
        if (ask) {
            json_t *reply = NULL;
            st = fr_job_client_call(c, json_pack("{s:s, s:s}", "op", "status", "id", id), &reply, &err);
            if (st == FR_OK) {
                json_decref(state);
                state = json_incref(json_object_get(reply, "job"));
            }
            json_decref(reply);
            ask = 0;
        } else {
            json_t *ev = NULL;
            st = fr_job_client_event(c, 2000, &ev, &err);
            if (st == FR_EOF) {
                ask = 1;
                st = FR_OK;
                continue;
            }
            const char *eid = json_string_value(json_object_get(ev, "id"));
            if (st == FR_OK && eid && !strcmp(eid, id)) {
                json_decref(state);
                state = ev;
            } else {
                json_decref(ev);
                continue;
            }
        }
        if (st == FR_OK && state) {
            show(state, tty);
            const char *s = json_string_value(json_object_get(state, "state"));
            rc = s ? final_code(s) : -1;
        }
    }
    if (tty)
        fputc('\n', stderr);
    if (st != FR_OK) {
        fr_cli_error("watch: %s", err.msg);
        rc = fr_status_exit_code(st);
    } else if (rc != 0) {
        json_t *reply = NULL;
        if (fr_job_client_call(c, json_pack("{s:s, s:s}", "op", "status", "id", id), &reply, &err) == FR_OK) {
            const char *e = json_string_value(json_object_get(json_object_get(reply, "job"), "error"));
            const char *log = json_string_value(json_object_get(json_object_get(reply, "job"), "log"));
            fr_cli_error("job %s %s%s%s (log: %s)", id, rc == 3 ? "was cancelled" : "failed", e ? ": " : "",
                         e ? e : "", log ? log : "?");
        }
        json_decref(reply);
    }
    json_decref(state);
    fr_job_client_free(c);
    return rc;
}
