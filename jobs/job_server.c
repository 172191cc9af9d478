/* job_server.c: filmrestored's event loop (job_server.h): requests, the
 * runner's children, progress republishing and shutdown. The replies to each
 * op are built in job_ops.c. */
#include "job_server.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "fr_log.h"
#include "job_auth.h"
#include "job_conn_cap.h"
#include "job_http.h"
#include "job_ops.h"

/* A peer has this long to finish its ZMTP handshake (libzmq's default is 30 s). */
#define FR_JOB_HANDSHAKE_MS 2000

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig) { (void)sig; stop_flag = 1; }

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int fr_job_endpoint_local(const char *e)
{
    if (!strncmp(e, "ipc://", 6) || !strncmp(e, "inproc://", 9))
        return 1;
    if (strncmp(e, "tcp://", 6))
        return 0;
    const char *h = e + 6;
    if (!strncmp(h, "127.", 4) || !strncmp(h, "localhost:", 10) || !strncmp(h, "[::1]:", 6))
        return !strchr(h, ';'); /* no "source;dest" forms */
    return 0;
}

/* tcp://HOST:PORT -> tcp://HOST:PORT+1; tcp://HOST:* -> tcp://HOST:* (a free port each) */
static int next_port(const char *bind, char *out, size_t len)
{
    const char *colon = strrchr(bind, ':');
    if (strncmp(bind, "tcp://", 6) || !colon)
        return 0;
    if (!strcmp(colon + 1, "*")) {
        snprintf(out, len, "%s", bind);
        return 1;
    }
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port <= 0 || port >= 65535)
        return 0;
    snprintf(out, len, "%.*s:%ld", (int)(colon - bind), bind, port + 1);
    return 1;
}

/* libzmq binds to an address or an interface, never a host name: tcp://localhost:PORT
 * (which fr_job_endpoint_local accepts, and the docs show) is bound as tcp://127.0.0.1:PORT. */
static const char *bindable(const char *e, char *buf, size_t len)
{
    if (strncmp(e, "tcp://localhost:", 16))
        return e;
    snprintf(buf, len, "tcp://127.0.0.1:%s", e + 16);
    return buf;
}

static fr_status zerr(fr_err *err, const char *call, const char *what)
{
    int e = zmq_errno();
    return fr_err_set(err, FR_ERR_JOB, "%s %s: %s%s", call, what, zmq_strerror(e),
                      e == ENODEV ? " (bind takes an IP address or an interface name, not a host name)" : "");
}

static void last_endpoint(void *sock, char *buf, size_t len)
{
    size_t n = len;
    if (zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, buf, &n) != 0)
        buf[0] = 0;
}

/* Writes SPOOL/endpoints.json so that tools find the sockets bound to port '*'. */
static fr_status write_endpoints(fr_job_ops *ops, fr_err *err)
{
    char path[PATH_MAX + 32], tmp[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/endpoints.json", fr_job_queue_spool(ops->q));
    snprintf(tmp, sizeof tmp, "%s/.endpoints.tmp", fr_job_queue_spool(ops->q));
    json_t *o = json_pack("{s:s, s:s, s:I}", "requests", ops->requests_ep, "events", ops->events_ep, "pid",
                          (json_int_t)getpid());
    int bad = !o || json_dump_file(o, tmp, JSON_COMPACT) != 0 || rename(tmp, path) != 0;
    json_decref(o);
    return bad ? fr_err_set(err, FR_ERR_IO, "write %s: %s", path, strerror(errno)) : FR_OK;
}

/* Receives one request (all its parts) and answers it. */
static void serve_request(fr_job_ops *ops, void *router)
{
    zmq_msg_t part[4];
    int n = 0, more = 1, extra = 0;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, router, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            break;
        }
        more = zmq_msg_more(&m);
        if (n < 4)
            part[n++] = m;
        else {
            extra = 1;
            zmq_msg_close(&m);
        }
    }
    if (n < 2) { /* identity alone: nothing to answer */
        for (int i = 0; i < n; i++)
            zmq_msg_close(&part[i]);
        return;
    }
    /* [identity][body] from DEALER, [identity][""][body] from REQ */
    int delim = n >= 3 && zmq_msg_size(&part[1]) == 0;
    int body = delim ? 2 : 1;
    char *reply;
    if (extra || n != body + 1)
        reply = fr_job_ops_error("a request is one message part holding one JSON object", NULL);
    else
        reply = fr_job_ops_handle(ops, zmq_msg_data(&part[body]), zmq_msg_size(&part[body]),
                                  ops->zap ? zmq_msg_gets(&part[body], "User-Id") : NULL);
    if (reply) {
        zmq_send(router, zmq_msg_data(&part[0]), zmq_msg_size(&part[0]), ZMQ_SNDMORE | ZMQ_DONTWAIT);
        if (delim)
            zmq_send(router, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT);
        zmq_send(router, reply, strlen(reply), ZMQ_DONTWAIT);
        free(reply);
    }
    for (int i = 0; i < n; i++)
        zmq_msg_close(&part[i]);
}

/* One progress message from a running pipeline. */
static void take_progress(fr_job_ops *ops, void *pull)
{
    char buf[4096];
    int n = zmq_recv(pull, buf, sizeof buf - 1, ZMQ_DONTWAIT);
    if (n < 0)
        return;
    if (n > (int)sizeof buf - 1)
        return; /* truncated: not one of ours */
    json_t *o = json_loadb(buf, (size_t)n, 0, NULL);
    const char *id = NULL, *stage = NULL;
    json_int_t done = 0, total = -1;
    double fps = 0, eta = -1;
    if (o && json_unpack(o, "{s:s, s:s, s:I, s:I, s:F, s:F}", "id", &id, "stage", &stage, "done", &done, "total",
                         &total, "fps", &fps, "eta", &eta) == 0) {
        fr_job *j = fr_job_queue_find(ops->q, id);
        if (j && j->state == FR_JOB_RUNNING) {
            snprintf(j->stage, sizeof j->stage, "%s", stage);
            j->done = done;
            j->total = total;
            j->fps = fps;
            j->eta = eta;
            fr_job_ops_publish(ops, j);
        }
    }
    json_decref(o);
}

/* Each connection is an fd: take the hard limit, so the cap, not EMFILE, is what refuses. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            fr_warn("filmrestored", "setrlimit RLIMIT_NOFILE: %s", strerror(errno));
    }
}

static fr_status bind_sockets(const fr_job_server_opts *o, fr_job_ops *ops, void *ctx, void **router,
                              void **pub, void **pull, fr_err *err)
{
    char publish[256];
    const char *pub_ep = o->publish;
    if (!pub_ep) {
        if (!next_port(o->bind, publish, sizeof publish))
            return fr_err_set(err, FR_ERR_ARG, "--publish is needed when --bind is not tcp://HOST:PORT");
        pub_ep = publish;
    }
    int local = fr_job_endpoint_local(o->bind) && fr_job_endpoint_local(pub_ep);
    if (!local && (!o->curve_secret || !o->curve_clients))
        return fr_err_set(err, FR_ERR_ARG,
                          "binding off loopback needs CURVE: --curve-secret and --curve-clients (see --keygen)");
    if ((o->curve_secret != NULL) != (o->curve_clients != NULL))
        return fr_err_set(err, FR_ERR_ARG, "--curve-secret and --curve-clients go together");
    if (o->curve_admins && !o->curve_secret)
        return fr_err_set(err, FR_ERR_ARG, "--curve-admins needs --curve-secret and --curve-clients");
    char secret[FR_KEY_TEXT];
    fr_status st;
    if (o->curve_secret) {
        if (zmq_has("curve") == 0)
            return fr_err_set(err, FR_ERR_JOB, "this libzmq has no CURVE support");
        if ((st = fr_job_key_read(o->curve_secret, secret, err)) != FR_OK ||
            (st = fr_job_zap_start(&ops->zap, ctx, o->curve_clients, o->curve_admins, err)) != FR_OK)
            return st;
    }
    int linger = 0, hwm = 10000, handshake = FR_JOB_HANDSHAKE_MS;
    int64_t maxmsg = o->max_msg;
    if (!(*router = zmq_socket(ctx, ZMQ_ROUTER)) || !(*pub = zmq_socket(ctx, ZMQ_PUB)) ||
        !(*pull = zmq_socket(ctx, ZMQ_PULL)))
        return zerr(err, "zmq_socket", "");
    void *all[3] = {*router, *pub, *pull};
    for (int i = 0; i < 3; i++)
        if (zmq_setsockopt(all[i], ZMQ_LINGER, &linger, sizeof linger) != 0 ||
            zmq_setsockopt(all[i], ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg) != 0 ||
            zmq_setsockopt(all[i], ZMQ_HANDSHAKE_IVL, &handshake, sizeof handshake) != 0)
            return zerr(err, "zmq_setsockopt", "");
    if (zmq_setsockopt(*pub, ZMQ_SNDHWM, &hwm, sizeof hwm) != 0)
        return zerr(err, "zmq_setsockopt", "ZMQ_SNDHWM");
    if (o->curve_secret && ((st = fr_job_curve_server(*router, secret, err)) != FR_OK ||
                            (st = fr_job_curve_server(*pub, secret, err)) != FR_OK))
        return st;
    char ipc[PATH_MAX + 32];
    int l = snprintf(ipc, sizeof ipc, "ipc://%s/progress.ipc", fr_job_queue_spool(ops->q));
    if (l - 6 >= 100)
        return fr_err_set(err, FR_ERR_ARG, "spool path too long for its ipc socket (%d bytes; 100 at most)", l - 6);
    unlink(ipc + 6);
    char b1[300], b2[300];
    if (zmq_bind(*router, bindable(o->bind, b1, sizeof b1)) != 0)
        return zerr(err, "zmq_bind", o->bind);
    if (zmq_bind(*pub, bindable(pub_ep, b2, sizeof b2)) != 0)
        return zerr(err, "zmq_bind", pub_ep);
    if (zmq_bind(*pull, ipc) != 0)
        return zerr(err, "zmq_bind", ipc);
    if ((st = fr_job_conn_cap_new(&ops->cap_req, ctx, *router, "requests", (int)o->max_conn, err)) != FR_OK ||
        (st = fr_job_conn_cap_new(&ops->cap_pub, ctx, *pub, "events", (int)o->max_conn, err)) != FR_OK)
        return st;
    last_endpoint(*router, ops->requests_ep, sizeof ops->requests_ep);
    last_endpoint(*pub, ops->events_ep, sizeof ops->events_ep);
    snprintf(ops->progress_ep, sizeof ops->progress_ep, "%s", ipc);
    return write_endpoints(ops, err);
}

fr_status fr_job_server_run(const fr_job_server_opts *o, fr_err *err)
{
    fr_job_ops ops = {0};
    void *ctx = NULL, *router = NULL, *pub = NULL, *pull = NULL;
    fr_job_http *http = NULL;
    fr_status st = fr_job_http_new(&http, o->http, o->http_token, err);
    if (st == FR_OK)
        st = fr_job_ops_init(&ops, o, err);
    raise_fd_limit();
    if (st == FR_OK && !(ctx = zmq_ctx_new()))
        st = zerr(err, "zmq_ctx_new", "");
    if (st == FR_OK) /* before the sockets: endpoints.json appears once recovery is over */
        fr_job_ops_recover(&ops);
    if (st == FR_OK)
        st = bind_sockets(o, &ops, ctx, &router, &pub, &pull, err);
    if (st == FR_OK)
        st = fr_job_http_start(http, ctx, router, fr_job_queue_spool(ops.q), ops.exe, err);
    if (st == FR_OK) {
        ops.pub = pub;
        struct sigaction sa = {0};
        sa.sa_handler = on_signal;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);
        fr_info("filmrestored", "requests on %s, events on %s, spool %s", ops.requests_ep, ops.events_ep,
                fr_job_queue_spool(ops.q));
    }
    while (st == FR_OK && !stop_flag) {
        zmq_pollitem_t items[4] = {{router, 0, ZMQ_POLLIN, 0},
                                   {pull, 0, ZMQ_POLLIN, 0},
                                   {fr_job_conn_cap_socket(ops.cap_req), 0, ZMQ_POLLIN, 0},
                                   {fr_job_conn_cap_socket(ops.cap_pub), 0, ZMQ_POLLIN, 0}};
        int rc = zmq_poll(items, 4, 100);
        if (rc < 0 && zmq_errno() != EINTR) {
            st = zerr(err, "zmq_poll", "");
            break;
        }
        if (rc > 0 && (items[0].revents & ZMQ_POLLIN))
            for (int i = 0; i < 256; i++) { /* a burst, without starving the rest */
                int ev = 0;
                size_t sz = sizeof ev;
                if (zmq_getsockopt(router, ZMQ_EVENTS, &ev, &sz) != 0 || !(ev & ZMQ_POLLIN))
                    break;
                serve_request(&ops, router);
            }
        if (rc > 0 && (items[1].revents & ZMQ_POLLIN))
            for (int i = 0; i < 256; i++) {
                int ev = 0;
                size_t sz = sizeof ev;
                if (zmq_getsockopt(pull, ZMQ_EVENTS, &ev, &sz) != 0 || !(ev & ZMQ_POLLIN))
                    break;
                take_progress(&ops, pull);
            }
        if (rc > 0 && (items[2].revents & ZMQ_POLLIN))
            fr_job_conn_cap_drain(ops.cap_req);
        if (rc > 0 && (items[3].revents & ZMQ_POLLIN))
            fr_job_conn_cap_drain(ops.cap_pub);
        fr_job_ops_tick(&ops, mono());
    }
    if (stop_flag)
        fr_info("filmrestored", "stopping; running jobs resume at the next start");
    fr_job_ops_shutdown(&ops);
    fr_job_conn_cap_free(ops.cap_req);
    fr_job_conn_cap_free(ops.cap_pub);
    if (router)
        zmq_close(router);
    if (pub)
        zmq_close(pub);
    if (pull)
        zmq_close(pull);
    if (ctx)
        zmq_ctx_shutdown(ctx);
    fr_job_http_free(http); /* after the shutdown, which ends its calls to the daemon */
    fr_job_zap_free(ops.zap);
    if (ctx)
        zmq_ctx_term(ctx);
    fr_job_ops_free(&ops);
    return st;
}
