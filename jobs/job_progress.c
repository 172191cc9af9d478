/* job_progress.c: progress events from the coordinator to filmrestored over
 * ZeroMQ PUSH (job_progress.h). */
#include "job_progress.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "fr_log.h"
#include "job_request.h"

struct fr_job_pusher {
    void *ctx, *sock;
    char id[FR_JOB_ID_LEN];
    char stage[16];     /* the last stage sent */
    double last_sent;   /* CLOCK_MONOTONIC seconds */
};

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void fr_job_pusher_hook(void *ctx, const fr_progress_event *ev, const fr_progress_rate *rate)
{
    fr_job_pusher *j = ctx;
    double t = mono();
    int stage_changed = strncmp(j->stage, ev->stage, sizeof j->stage - 1) != 0;
    int final = ev->total >= 0 && ev->done >= ev->total;
    if (!stage_changed && !final && t - j->last_sent < 0.2)
        return;
    j->last_sent = t;
    snprintf(j->stage, sizeof j->stage, "%s", ev->stage);
    json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:f, s:f, s:i, s:i}", "id", j->id, "stage", ev->stage,
                          "done", (json_int_t)ev->done, "total", (json_int_t)ev->total, "fps", rate->fps,
                          "eta", rate->eta_s, "ranks_busy", ev->ranks_busy, "ranks", ev->ranks);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (text)
        zmq_send(j->sock, text, strlen(text), ZMQ_DONTWAIT); /* dropped when the daemon is gone */
    free(text);
    json_decref(o);
}

fr_job_pusher *fr_job_pusher_open(void)
{
    const char *endpoint = getenv("FILMRESTORE_JOB_PROGRESS");
    const char *id = getenv("FILMRESTORE_JOB_ID");
    if (!endpoint || !id)
        return NULL;
    if (!fr_job_id_valid(id)) {
        fr_warn("coordinator", "FILMRESTORE_JOB_ID '%.32s' is not a job id; no live progress", id);
        return NULL;
    }
    fr_job_pusher *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    snprintf(j->id, sizeof j->id, "%s", id);
    int linger = 1000, hwm = 100;
    if (!(j->ctx = zmq_ctx_new()) || !(j->sock = zmq_socket(j->ctx, ZMQ_PUSH)) ||
        zmq_setsockopt(j->sock, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_setsockopt(j->sock, ZMQ_SNDHWM, &hwm, sizeof hwm) != 0 || zmq_connect(j->sock, endpoint) != 0) {
        fr_warn("coordinator", "zmq_connect %s: %s; no live progress", endpoint, zmq_strerror(zmq_errno()));
        fr_job_pusher_free(j);
        return NULL;
    }
    return j;
}

void fr_job_pusher_free(fr_job_pusher *j)
{
    if (!j)
        return;
    if (j->sock)
        zmq_close(j->sock);
    if (j->ctx)
        zmq_ctx_term(j->ctx);
    free(j);
}
