/* job_http_api.c: the web page's JSON API, each call one request to the daemon
 * over a short-lived REQ socket on inproc (job_http.h says why), plus the tail
 * of a job's log. The replies are the daemon's own text, passed on unchanged. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "job_http_int.h"

#define CALL_TIMEOUT_MS 10000
#define LOG_TAIL_BYTES 16384
#define LOG_TAIL_LINES 60

void fr_http_reply_text(fr_http_reply *r, int code, const char *type, const char *text)
{
    r->code = code;
    r->type = type;
    r->len = strlen(text);
    r->body = strdup(text);
    r->owned = 1;
    if (!r->body) {
        r->code = 500;
        r->body = "out of memory";
        r->len = strlen(r->body);
        r->owned = 0;
    }
}

void fr_http_reply_error(fr_http_reply *r, int code, const char *msg)
{
    json_t *o = json_pack("{s:b, s:s}", "ok", 0, "error", msg);
    char *t = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    fr_http_reply_text(r, code, "application/json", t ? t : "{\"ok\":false}");
    free(t);
}

/* Sends request (consumed) and returns the daemon's reply text, or NULL. */
static char *call(fr_job_http *h, json_t *request, fr_err *err)
{
    char *text = request ? json_dumps(request, JSON_COMPACT) : NULL;
    json_decref(request);
    if (!text) {
        fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        return NULL;
    }
    char *reply = NULL;
    int linger = 0, tmo = CALL_TIMEOUT_MS;
    void *s = zmq_socket(h->zctx, ZMQ_REQ);
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (!s || zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_setsockopt(s, ZMQ_RCVTIMEO, &tmo, sizeof tmo) != 0 ||
        zmq_setsockopt(s, ZMQ_SNDTIMEO, &tmo, sizeof tmo) != 0 || zmq_connect(s, FR_HTTP_INPROC) != 0 ||
        zmq_send(s, text, strlen(text), 0) < 0 || zmq_msg_recv(&m, s, 0) < 0)
        fr_err_set(err, FR_ERR_JOB, "the job service did not answer: %s", zmq_strerror(zmq_errno()));
    else if (!(reply = malloc(zmq_msg_size(&m) + 1)))
        fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    else {
        memcpy(reply, zmq_msg_data(&m), zmq_msg_size(&m));
        reply[zmq_msg_size(&m)] = 0;
    }
    zmq_msg_close(&m);
    if (s)
        zmq_close(s);
    free(text);
    return reply;
}

/* The daemon's reply as the HTTP reply: 200 when ok, 404 for an unknown job,
 * else bad (400 or 409). */
static void pass_on(fr_job_http *h, json_t *request, int bad, fr_http_reply *r)
{
    fr_err err = {0};
    char *t = call(h, request, &err);
    if (!t) {
        fr_http_reply_error(r, 503, err.msg);
        return;
    }
    json_t *o = json_loads(t, 0, NULL);
    json_t *ok = o ? json_object_get(o, "ok") : NULL;
    const char *e = o ? json_string_value(json_object_get(o, "error")) : NULL;
    int code = json_is_true(ok) ? 200 : e && !strncmp(e, "no job", 6) ? 404 : bad;
    json_decref(o);
    r->code = code;
    r->type = "application/json";
    r->body = t;
    r->len = strlen(t);
    r->owned = 1;
}

void fr_http_api_list(fr_job_http *h, fr_http_reply *r) { pass_on(h, json_pack("{s:s}", "op", "list"), 400, r); }

void fr_http_api_status(fr_job_http *h, const char *id, fr_http_reply *r)
{
    pass_on(h, json_pack("{s:s, s:s}", "op", "status", "id", id), 400, r);
}

void fr_http_api_cancel(fr_job_http *h, const char *id, fr_http_reply *r)
{
    pass_on(h, json_pack("{s:s, s:s}", "op", "cancel", "id", id), 409, r);
}

json_t *fr_http_api_job(fr_job_http *h, const char *id, fr_http_reply *r)
{
    fr_err err = {0};
    char *t = call(h, json_pack("{s:s, s:s}", "op", "status", "id", id), &err);
    if (!t) {
        fr_http_reply_error(r, 503, err.msg);
        return NULL;
    }
    json_t *o = json_loads(t, 0, NULL);
    free(t);
    json_t *job = o && json_is_true(json_object_get(o, "ok")) ? json_incref(json_object_get(o, "job")) : NULL;
    if (!job) {
        const char *e = o ? json_string_value(json_object_get(o, "error")) : NULL;
        fr_http_reply_error(r, e && !strncmp(e, "no job", 6) ? 404 : 503, e ? e : "bad reply from the service");
    }
    json_decref(o);
    return job;
}

/* A failed or cancelled job again, with its spec as the service checked it, so
 * that it resumes from its store; never with "overwrite", which would throw the
 * store away. */
void fr_http_api_resubmit(fr_job_http *h, const char *id, fr_http_reply *r)
{
    json_t *job = fr_http_api_job(h, id, r);
    if (!job)
        return;
    const char *state = json_string_value(json_object_get(job, "state"));
    json_t *spec = json_object_get(job, "spec");
    if (!state || (strcmp(state, "failed") && strcmp(state, "cancelled")) || !json_is_object(spec)) {
        char m[128];
        snprintf(m, sizeof m, "%s is %s: only a failed or cancelled job is resubmitted", id, state ? state : "?");
        fr_http_reply_error(r, 409, m);
        json_decref(job);
        return;
    }
    json_t *again = json_deep_copy(spec);
    if (again) {
        json_object_del(again, "overwrite");
        json_t *prio = json_object_get(job, "priority");
        if (prio && json_object_set(again, "priority", prio) != 0) {
            json_decref(again);
            again = NULL;
        }
    }
    json_decref(job);
    if (!again) {
        fr_http_reply_error(r, 500, "out of memory");
        return;
    }
    pass_on(h, json_pack("{s:s, s:o}", "op", "submit", "job", again), 409, r);
}

/* The last lines of SPOOL/logs/ID.log (the path made here from a checked id,
 * never taken from a request), as text. */
void fr_http_api_log(fr_job_http *h, const char *id, fr_http_reply *r)
{
    json_t *job = fr_http_api_job(h, id, r); /* 404 for an unknown job */
    if (!job)
        return;
    json_decref(job);
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/logs/%s.log", h->spool, id);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fr_http_reply_text(r, 200, "text/plain; charset=utf-8", ""); /* no log yet */
        return;
    }
    char *buf = malloc(LOG_TAIL_BYTES + 1);
    size_t n = 0;
    int bad = !buf;
    if (!bad && fseek(f, 0, SEEK_END) == 0) {
        long size = ftell(f);
        long from = size > LOG_TAIL_BYTES ? size - LOG_TAIL_BYTES : 0;
        bad = size < 0 || fseek(f, from, SEEK_SET) != 0;
        if (!bad)
            n = fread(buf, 1, LOG_TAIL_BYTES, f);
        bad = bad || ferror(f);
    }
    fclose(f);
    if (bad) {
        free(buf);
        fr_http_reply_error(r, 500, "cannot read the job's log");
        return;
    }
    buf[n] = 0;
    /* the last LOG_TAIL_LINES lines */
    char *start = buf + n;
    int lines = 0;
    while (start > buf && lines <= LOG_TAIL_LINES)
        if (*--start == '\n' && start + 1 < buf + n)
            lines++;
    if (lines > LOG_TAIL_LINES)
        start++;
    for (char *p = start; *p; p++) /* progress bars redraw with \r: show them as lines */
        if (*p == '\r' || (*p && (unsigned char)*p < 0x20 && *p != '\n' && *p != '\t'))
            *p = *p == '\r' ? '\n' : '?';
    fr_http_reply_text(r, 200, "text/plain; charset=utf-8", start);
    free(buf);
}
