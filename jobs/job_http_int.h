/* job_http_int.h: what the web page's files share (job_http.c routes and
 * checks, job_http_api.c asks the daemon, job_http_work.c makes contact sheets
 * and verify results, job_http_assets.c holds the page). Not for other modules. */
#ifndef FR_JOB_HTTP_INT_H
#define FR_JOB_HTTP_INT_H

#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/socket.h>

#include "job_http.h"
#include <jansson.h>

#include "job_http_guard.h"

#define FR_HTTP_INPROC "inproc://filmrestored-http"
#define FR_HTTP_BODY_MAX 65536 /* bytes of a request body; more is refused (413) */

struct fr_job_http {
    struct sockaddr_storage sa;    /* --http, resolved */
    socklen_t sa_len;
    int loopback;                  /* only this machine can reach sa */
    unsigned port;                 /* as bound */
    int has_token;
    char token[FR_HTTP_SECRET_MAX]; /* --http-token's contents */
    char csrf[FR_HTTP_SECRET_MAX];  /* this life's CSRF token, in the page */
    void *zctx;                    /* the daemon's ZeroMQ context */
    char spool[PATH_MAX];
    char www[PATH_MAX + 8];        /* SPOOL/www: cached contact sheets and verify results */
    char exe[PATH_MAX];            /* filmrestore, for verify */
    pthread_mutex_t work_lock;     /* one contact sheet or verify at a time */
    int lock_made;
    struct MHD_Daemon *d;
};

/* A reply to send: code, content type, body (owned when 'owned'). */
typedef struct {
    int code;
    const char *type;
    char *body;
    size_t len;
    int owned;
} fr_http_reply;

/* Sets r to a malloc'd copy of text (or a 500 when out of memory). */
void fr_http_reply_text(fr_http_reply *r, int code, const char *type, const char *text);
/* {"ok": false, "error": msg} with code. */
void fr_http_reply_error(fr_http_reply *r, int code, const char *msg);

/* job_http_api.c: the ops, each sets r. */
void fr_http_api_list(fr_job_http *h, fr_http_reply *r);
void fr_http_api_status(fr_job_http *h, const char *id, fr_http_reply *r);
void fr_http_api_cancel(fr_job_http *h, const char *id, fr_http_reply *r);
void fr_http_api_resubmit(fr_job_http *h, const char *id, fr_http_reply *r);
void fr_http_api_log(fr_job_http *h, const char *id, fr_http_reply *r);
/* The daemon's FULL status object of id (caller decrefs), or NULL with r set. */
json_t *fr_http_api_job(fr_job_http *h, const char *id, fr_http_reply *r);

/* job_http_work.c: a done job's contact sheet (PNG) and verify result (JSON),
 * made once and kept in SPOOL/www. */
void fr_http_work_sheet(fr_job_http *h, const char *id, fr_http_reply *r);
void fr_http_work_verify(fr_job_http *h, const char *id, fr_http_reply *r);

/* job_http_sheet.c: a strip of n frames of video, evenly spaced, each thumb_w
 * pixels wide, as PNG bytes (malloc'd). */
fr_status fr_http_contact_sheet(const char *video, int n, int thumb_w, unsigned char **png, size_t *len,
                                fr_err *err);

/* job_http_assets.c (made by tools/embed-www from jobs/www/): the page's files. */
typedef struct {
    const char *name; /* "index.html", "app.js", ... */
    const char *type; /* Content-Type */
    const char *data;
    size_t len;
} fr_http_asset;
const fr_http_asset *fr_http_asset_find(const char *name);

#endif
