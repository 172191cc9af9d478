/* job_client.h: the C client of filmrestored, used by `filmrestore submit,
 * status, list, watch, cancel` and the tests.
 *
 *     fr_job_client *c = NULL;
 *     fr_job_client_opts o = {.connect = "tcp://127.0.0.1:5580", .timeout_ms = 5000};
 *     if (fr_job_client_new(&c, &o, &err) != FR_OK) ...
 *     json_t *reply = NULL;
 *     fr_job_client_call(c, json_pack("{s:s}", "op", "ping"), &reply, &err);
 *
 * Requests go out on a DEALER socket with an empty delimiter frame (as REQ
 * would send), so a lost reply is a timeout, never a stuck socket. */
#ifndef FR_JOB_CLIENT_H
#define FR_JOB_CLIENT_H

#include <jansson.h>

#include "fr_status.h"

typedef struct {
    const char *connect;     /* requests endpoint; NULL: $FILMRESTORE_JOBS or tcp://127.0.0.1:5580 */
    const char *events;      /* events endpoint; NULL: as the service's ping says */
    const char *server_key;  /* the server's public key file, for CURVE; NULL: none */
    const char *key;         /* this client's secret key file, for CURVE */
    long timeout_ms;         /* for each reply */
} fr_job_client_opts;

typedef struct fr_job_client fr_job_client;

fr_status fr_job_client_new(fr_job_client **out, const fr_job_client_opts *o, fr_err *err);
void fr_job_client_free(fr_job_client *c);

/* Sends request (taken over, even on failure) and waits for the reply. A reply
 * with "ok": false gives FR_ERR_JOB and its "error" text in err; *reply is
 * then still set (the caller frees it). */
fr_status fr_job_client_call(fr_job_client *c, json_t *request, json_t **reply, fr_err *err);

/* Subscribes to one job's events (topic = its id). */
fr_status fr_job_client_subscribe(fr_job_client *c, const char *id, fr_err *err);
/* The next event within timeout_ms (FR_EOF: none came). */
fr_status fr_job_client_event(fr_job_client *c, long timeout_ms, json_t **event, fr_err *err);

#endif
