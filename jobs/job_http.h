/* job_http.h: filmrestored's web page (--http HOST:PORT), served by
 * libmicrohttpd from threads of its own (docs/jobs.md, "The web page").
 *
 * The page never touches the queue: each request that needs the service asks
 * it over ZeroMQ, a REQ socket per request connected to the daemon's ROUTER on
 * inproc://filmrestored-http, with the same JSON as any client. So the daemon
 * stays one thread that owns its queue, and /api/jobs and /api/jobs/ID are the
 * ZeroMQ list and status replies verbatim.
 *
 * Lifetime, as job_server.c calls it:
 *   fr_job_http_new    before anything starts: checks --http and --http-token
 *                      (a non-loopback address without a token is refused)
 *   fr_job_http_start  once the sockets are bound: binds the ROUTER to inproc,
 *                      starts the HTTP threads, writes SPOOL/http.json
 *   fr_job_http_free   after zmq_ctx_shutdown (which ends any request still
 *                      waiting on the daemon) and before zmq_ctx_term */
#ifndef FR_JOB_HTTP_H
#define FR_JOB_HTTP_H

#include "fr_status.h"

typedef struct fr_job_http fr_job_http;

/* listen: --http (NULL: no web page, *out = NULL); token_file: --http-token or NULL. */
fr_status fr_job_http_new(fr_job_http **out, const char *listen, const char *token_file, fr_err *err);
/* h NULL: nothing to do. exe: the filmrestore executable (verify). */
fr_status fr_job_http_start(fr_job_http *h, void *zmq_ctx, void *router, const char *spool, const char *exe,
                            fr_err *err);
/* Stops the threads; NULL is fine. */
void fr_job_http_free(fr_job_http *h);

#endif
