/* job_client.c: DEALER requests and SUB events for filmrestored (job_client.h). */
#include "job_client.h"

#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "job_auth.h"

struct fr_job_client {
    void *ctx, *req, *sub;
    long timeout_ms;
    char events[256];
    int curve;
    char server_pub[FR_KEY_TEXT], secret[FR_KEY_TEXT];
};

static fr_status zerr(fr_err *err, const char *call, const char *what)
{
    return fr_err_set(err, FR_ERR_JOB, "%s %s: %s", call, what, zmq_strerror(zmq_errno()));
}

static fr_status socket_opts(fr_job_client *c, void *s, fr_err *err)
{
    int linger = 0;
    if (zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) != 0)
        return zerr(err, "zmq_setsockopt", "ZMQ_LINGER");
    if (c->curve)
        return fr_job_curve_client(s, c->server_pub, c->secret, err);
    return FR_OK;
}

fr_status fr_job_client_new(fr_job_client **out, const fr_job_client_opts *o, fr_err *err)
{
    *out = NULL;
    fr_job_client *c = calloc(1, sizeof *c);
    if (!c)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 5000;
    const char *ep = o->connect ? o->connect : getenv("FILMRESTORE_JOBS");
    if (!ep)
        ep = "tcp://127.0.0.1:5580";
    if (o->events)
        snprintf(c->events, sizeof c->events, "%s", o->events);
    fr_status st = FR_OK;
    if ((o->server_key != NULL) != (o->key != NULL))
        st = fr_err_set(err, FR_ERR_ARG, "--server-key and --key go together (CURVE)");
    if (st == FR_OK && o->server_key) {
        c->curve = 1;
        if ((st = fr_job_key_read(o->server_key, c->server_pub, err)) == FR_OK)
            st = fr_job_key_read(o->key, c->secret, err);
    }
    if (st == FR_OK && (!(c->ctx = zmq_ctx_new()) || !(c->req = zmq_socket(c->ctx, ZMQ_DEALER))))
        st = zerr(err, "zmq_socket", "DEALER");
    if (st == FR_OK && (st = socket_opts(c, c->req, err)) == FR_OK && zmq_connect(c->req, ep) != 0)
        st = zerr(err, "zmq_connect", ep);
    if (st != FR_OK) {
        fr_job_client_free(c);
        return st;
    }
    *out = c;
    return FR_OK;
}

void fr_job_client_free(fr_job_client *c)
{
    if (!c)
        return;
    if (c->req)
        zmq_close(c->req);
    if (c->sub)
        zmq_close(c->sub);
    if (c->ctx)
        zmq_ctx_term(c->ctx);
    free(c);
}

/* Receives one multipart message; returns its last part (malloc'd, NUL-ended). */
static fr_status recv_last(void *s, long timeout_ms, char **out, size_t *len, char *topic, size_t tlen, fr_err *err)
{
    zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
    int rc = zmq_poll(&it, 1, timeout_ms);
    if (rc < 0)
        return zerr(err, "zmq_poll", "");
    if (rc == 0)
        return FR_EOF;
    char *body = NULL;
    size_t n = 0;
    int more = 1, k = 0;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, s, 0) < 0) {
            zmq_msg_close(&m);
            free(body);
            return zerr(err, "zmq_msg_recv", "");
        }
        more = zmq_msg_more(&m);
        if (k == 0 && topic) {
            size_t t = zmq_msg_size(&m) < tlen - 1 ? zmq_msg_size(&m) : tlen - 1;
            memcpy(topic, zmq_msg_data(&m), t);
            topic[t] = 0;
        }
        k++;
        free(body);
        n = zmq_msg_size(&m);
        body = malloc(n + 1);
        if (!body) {
            zmq_msg_close(&m);
            return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        }
        memcpy(body, zmq_msg_data(&m), n);
        body[n] = 0;
        zmq_msg_close(&m);
    }
    *out = body;
    *len = n;
    return FR_OK;
}

fr_status fr_job_client_call(fr_job_client *c, json_t *request, json_t **reply, fr_err *err)
{
    *reply = NULL;
    char *text = request ? json_dumps(request, JSON_COMPACT) : NULL;
    json_decref(request);
    if (!text)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    int bad = zmq_send(c->req, "", 0, ZMQ_SNDMORE) < 0 || zmq_send(c->req, text, strlen(text), 0) < 0;
    free(text);
    if (bad)
        return zerr(err, "zmq_send", "request");
    char *body = NULL;
    size_t n = 0;
    fr_status st = recv_last(c->req, c->timeout_ms, &body, &n, NULL, 0, err);
    if (st == FR_EOF)
        return fr_err_set(err, FR_ERR_JOB, "no reply from filmrestored within %ld ms (is it running? is the key authorised?)",
                          c->timeout_ms);
    if (st != FR_OK)
        return st;
    json_error_t je;
    json_t *r = json_loadb(body, n, 0, &je);
    free(body);
    if (!json_is_object(r)) {
        json_decref(r);
        return fr_err_set(err, FR_ERR_JOB, "the service's reply is not a JSON object");
    }
    *reply = r;
    if (!json_is_true(json_object_get(r, "ok"))) {
        const char *e = json_string_value(json_object_get(r, "error"));
        return fr_err_set(err, FR_ERR_JOB, "%s", e ? e : "the service refused the request");
    }
    return FR_OK;
}

fr_status fr_job_client_subscribe(fr_job_client *c, const char *id, fr_err *err)
{
    fr_status st;
    if (!c->events[0]) {
        json_t *r = NULL;
        if ((st = fr_job_client_call(c, json_pack("{s:s}", "op", "ping"), &r, err)) != FR_OK) {
            json_decref(r);
            return st;
        }
        const char *ev = json_string_value(json_object_get(r, "events"));
        snprintf(c->events, sizeof c->events, "%s", ev ? ev : "");
        json_decref(r);
        if (!c->events[0])
            return fr_err_set(err, FR_ERR_JOB, "the service did not say where its events are");
    }
    if (!c->sub && !(c->sub = zmq_socket(c->ctx, ZMQ_SUB)))
        return zerr(err, "zmq_socket", "SUB");
    if ((st = socket_opts(c, c->sub, err)) != FR_OK)
        return st;
    if (zmq_setsockopt(c->sub, ZMQ_SUBSCRIBE, id, strlen(id)) != 0)
        return zerr(err, "zmq_setsockopt", "ZMQ_SUBSCRIBE");
    if (zmq_connect(c->sub, c->events) != 0)
        return zerr(err, "zmq_connect", c->events);
    return FR_OK;
}

fr_status fr_job_client_event(fr_job_client *c, long timeout_ms, json_t **event, fr_err *err)
{
    *event = NULL;
    if (!c->sub)
        return fr_err_set(err, FR_ERR_ARG, "not subscribed");
    char *body = NULL, topic[64];
    size_t n = 0;
    fr_status st = recv_last(c->sub, timeout_ms, &body, &n, topic, sizeof topic, err);
    if (st != FR_OK)
        return st;
    json_t *e = json_loadb(body, n, 0, NULL);
    free(body);
    if (!json_is_object(e)) {
        json_decref(e);
        return fr_err_set(err, FR_ERR_JOB, "an event that is not a JSON object");
    }
    *event = e;
    return FR_OK;
}
