/* job_conn_cap.h: a cap on the connections a listening ZeroMQ socket holds.
 *
 * libzmq accepts every TCP connection and keeps it until its ZMTP handshake ends
 * (ZMQ_HANDSHAKE_IVL); it has no limit of its own. Thousands of connections that never
 * speak ZMTP once starved every client of filmrestored. The cap watches the socket's
 * monitor (ZMQ_EVENT_ACCEPTED and ZMQ_EVENT_DISCONNECTED, whose value is the
 * connection's fd) and shuts down (shutdown(2), never close: the fd stays libzmq's) each
 * connection accepted beyond the cap, which libzmq then drops as a disconnect. */
#ifndef FR_JOB_CONN_CAP_H
#define FR_JOB_CONN_CAP_H

#include "fr_status.h"

typedef struct fr_job_conn_cap fr_job_conn_cap;

/* Monitors sock (in ctx) under a unique name; cap >= 1. */
fr_status fr_job_conn_cap_new(fr_job_conn_cap **out, void *ctx, void *sock, const char *name, int cap, fr_err *err);
/* The socket to poll for ZMQ_POLLIN. */
void *fr_job_conn_cap_socket(fr_job_conn_cap *c);
/* Takes every pending event; refuses connections beyond the cap. */
void fr_job_conn_cap_drain(fr_job_conn_cap *c);
/* NULL is fine. Call before the monitored socket is closed. */
void fr_job_conn_cap_free(fr_job_conn_cap *c);

#endif
