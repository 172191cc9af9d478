/* job_conn_cap.c: connections beyond a cap are shut down as they are accepted (job_conn_cap.h). */
#include "job_conn_cap.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <zmq.h>

#include "fr_log.h"

struct fr_job_conn_cap {
    void *mon;       /* PAIR connected to the socket's monitor */
    void *sock;      /* the monitored socket (not owned) */
    int cap, open;   /* the limit; connections open now */
    long refused;    /* connections shut down so far */
    uint8_t *live;   /* live[fd]: a connection on fd is open; an fd accepted again
                        means its old connection ended, so a missed event heals */
    size_t n_live;
};

#define FD_LIMIT (1 << 20)

/* Marks fd open (1) or closed (0); keeps the count. */
static void mark(fr_job_conn_cap *c, uint32_t fd, int on)
{
    if (fd >= FD_LIMIT)
        return;
    if (fd >= c->n_live) {
        if (!on)
            return;
        size_t n = c->n_live ? c->n_live : 1024;
        while (n <= fd)
            n *= 2;
        uint8_t *p = realloc(c->live, n);
        if (!p)
            return;
        memset(p + c->n_live, 0, n - c->n_live);
        c->live = p;
        c->n_live = n;
    }
    if (c->live[fd] != on) {
        c->live[fd] = (uint8_t)on;
        c->open += on ? 1 : -1;
    }
}

fr_status fr_job_conn_cap_new(fr_job_conn_cap **out, void *ctx, void *sock, const char *name, int cap, fr_err *err)
{
    *out = NULL;
    fr_job_conn_cap *c = calloc(1, sizeof *c);
    if (!c)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    char ep[128];
    snprintf(ep, sizeof ep, "inproc://filmrestored-monitor-%s", name);
    int linger = 0;
    if (zmq_socket_monitor(sock, ep, ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED) != 0 ||
        !(c->mon = zmq_socket(ctx, ZMQ_PAIR)) || zmq_setsockopt(c->mon, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_connect(c->mon, ep) != 0) {
        fr_status st = fr_err_set(err, FR_ERR_JOB, "zmq_socket_monitor %s: %s", name, zmq_strerror(zmq_errno()));
        if (c->mon)
            zmq_close(c->mon);
        free(c);
        return st;
    }
    c->sock = sock;
    c->cap = cap;
    *out = c;
    return FR_OK;
}

void *fr_job_conn_cap_socket(fr_job_conn_cap *c) { return c->mon; }

/* One event: [uint16 event, uint32 value][endpoint]. 0 when none is pending. */
static int next_event(fr_job_conn_cap *c, uint16_t *event, uint32_t *value)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, c->mon, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&m);
        return 0;
    }
    int ok = zmq_msg_size(&m) == 6 && zmq_msg_more(&m);
    if (ok) {
        memcpy(event, zmq_msg_data(&m), 2);
        memcpy(value, (const char *)zmq_msg_data(&m) + 2, 4);
    }
    while (zmq_msg_more(&m)) { /* the endpoint part */
        zmq_msg_close(&m);
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, c->mon, 0) < 0)
            break;
    }
    zmq_msg_close(&m);
    if (!ok)
        *event = 0;
    return 1;
}

void fr_job_conn_cap_drain(fr_job_conn_cap *c)
{
    uint16_t event = 0;
    uint32_t fd = 0;
    for (int i = 0; i < 4096 && next_event(c, &event, &fd); i++) {
        if (event == ZMQ_EVENT_DISCONNECTED) {
            mark(c, fd, 0);
        } else if (event == ZMQ_EVENT_ACCEPTED) {
            mark(c, fd, 1);
            if (c->open > c->cap) {
                shutdown((int)fd, SHUT_RDWR); /* libzmq sees the end and reports a disconnect */
                mark(c, fd, 0);
                if (c->refused++ % 1000 == 0)
                    fr_warn("filmrestored", "more than %d connections: refusing new ones (%ld so far)", c->cap,
                            c->refused);
            }
        }
    }
}

void fr_job_conn_cap_free(fr_job_conn_cap *c)
{
    if (!c)
        return;
    zmq_socket_monitor(c->sock, NULL, 0);
    zmq_close(c->mon);
    free(c->live);
    free(c);
}
