/* job_http.c: the web page's server (job_http.h): libmicrohttpd's daemon, the
 * checks every request passes before it is routed, and the routes.
 *
 * Checks, in order, on the request's headers (before any body is read):
 *   method      GET or POST, else 405
 *   path        fr_http_path_ok (no "..", no escapes), else 400
 *   size        a Content-Length over FR_HTTP_BODY_MAX gets 413; a body sent
 *               without one is cut off (the connection dropped) at that size
 *   Host        without a token: a loopback name, else 403 (DNS rebinding)
 *   token       with one: "Authorization: Bearer T" or the fr_token cookie that
 *               POST /login sets; else 401 (the page shows its login form)
 *   CSRF        a POST: same origin (Origin, Sec-Fetch-Site), and but for /login
 *               the header X-CSRF-Token equal to this daemon's, which only the
 *               page (and GET /api/csrf) holds; else 403
 * Every response carries a Content-Security-Policy that lets the page load
 * only from this server, and no-store, nosniff and frame-deny headers. */
#include "job_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "fr_log.h"
#include "job_http_int.h"

#define POOL_THREADS 4
#define CSP                                                                                                     \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "             \
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

typedef struct {
    int refused;        /* a response was queued by the header checks */
    int authorized;     /* the token matched (or none is set) */
    char *body;         /* the request body, NUL-terminated */
    size_t len;
} req_state;

static enum MHD_Result send_reply(struct MHD_Connection *c, fr_http_reply *r, const char *cookie)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        r->len, r->body, r->owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        if (r->owned)
            free(r->body);
        return MHD_NO;
    }
    int bad = MHD_add_response_header(resp, "Content-Type", r->type) != MHD_YES ||
              MHD_add_response_header(resp, "Content-Security-Policy", CSP) != MHD_YES ||
              MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff") != MHD_YES ||
              MHD_add_response_header(resp, "X-Frame-Options", "DENY") != MHD_YES ||
              MHD_add_response_header(resp, "Referrer-Policy", "no-referrer") != MHD_YES ||
              MHD_add_response_header(resp, "Cache-Control", "no-store") != MHD_YES;
    if (r->code == 401)
        bad |= MHD_add_response_header(resp, "WWW-Authenticate", "Bearer") != MHD_YES;
    if (r->code == 303)
        bad |= MHD_add_response_header(resp, "Location", "/") != MHD_YES;
    if (cookie)
        bad |= MHD_add_response_header(resp, "Set-Cookie", cookie) != MHD_YES;
    enum MHD_Result ret = bad ? MHD_NO : MHD_queue_response(c, (unsigned)r->code, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *c, int code, const char *msg)
{
    fr_http_reply r = {0};
    fr_http_reply_error(&r, code, msg);
    return send_reply(c, &r, NULL);
}

static const char *header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* The header checks (see the top of this file); 0 when the request may go on,
 * else the HTTP code of the refusal with *why set. */
static int check(fr_job_http *h, struct MHD_Connection *c, const char *url, const char *method, req_state *s,
                 const char **why)
{
    int post = !strcmp(method, "POST");
    if (!post && strcmp(method, "GET"))
        return *why = "only GET and POST", 405;
    if (!fr_http_path_ok(url))
        return *why = "bad path", 400;
    const char *cl = header(c, "Content-Length");
    if (cl && (strlen(cl) > 9 || atol(cl) > FR_HTTP_BODY_MAX))
        return *why = "request body too large", 413;
    if (!h->has_token && !fr_http_host_loopback(header(c, "Host"), h->port))
        return *why = "Host is not this machine's loopback name", 403;
    s->authorized = !h->has_token;
    if (h->has_token) {
        const char *auth = header(c, "Authorization");
        const char *bearer = auth && !strncmp(auth, "Bearer ", 7) ? auth + 7 : NULL;
        const char *cookie = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "fr_token");
        s->authorized = fr_http_secret_equal(bearer, h->token) || fr_http_secret_equal(cookie, h->token);
        int open_route = (!post && (!strcmp(url, "/") || !strcmp(url, "/style.css"))) ||
                         (post && !strcmp(url, "/login"));
        if (!s->authorized && !open_route)
            return *why = "a valid token is needed", 401;
    }
    if (post) {
        if (!fr_http_same_origin(header(c, "Origin"), header(c, "Host"), header(c, "Sec-Fetch-Site")))
            return *why = "cross-site request refused", 403;
        if (strcmp(url, "/login") && !fr_http_secret_equal(header(c, "X-CSRF-Token"), h->csrf))
            return *why = "missing or wrong X-CSRF-Token", 403;
    }
    return 0;
}

/* A page, with this daemon's CSRF token where it says {{CSRF}} (the queue's
 * <meta>; the login form, which anyone may see, has none). */
static void page(fr_job_http *h, const char *name, fr_http_reply *r)
{
    const fr_http_asset *a = fr_http_asset_find(name);
    if (!a) {
        fr_http_reply_error(r, 500, "page missing");
        return;
    }
    const char *mark = strstr(a->data, "{{CSRF}}");
    if (!mark) {
        *r = (fr_http_reply){200, a->type, (char *)a->data, a->len, 0};
        return;
    }
    size_t head = (size_t)(mark - a->data), n = a->len - 8 + strlen(h->csrf);
    char *b = malloc(n + 1);
    if (!b) {
        fr_http_reply_error(r, 500, "out of memory");
        return;
    }
    memcpy(b, a->data, head);
    memcpy(b + head, h->csrf, strlen(h->csrf));
    memcpy(b + head + strlen(h->csrf), mark + 8, a->len - head - 8);
    b[n] = 0;
    *r = (fr_http_reply){200, a->type, b, n, 1};
}

/* POST /login, body token=T: sets the cookie and sends the browser to /. */
static enum MHD_Result login(fr_job_http *h, struct MHD_Connection *c, req_state *s)
{
    char *tok = NULL, *save = NULL;
    for (char *kv = s->body ? strtok_r(s->body, "&", &save) : NULL; kv; kv = strtok_r(NULL, "&", &save))
        if (!strncmp(kv, "token=", 6))
            tok = kv + 6;
    if (tok)
        MHD_http_unescape(tok);
    if (!h->has_token || !fr_http_secret_equal(tok, h->token)) {
        fr_http_reply r = {0};
        page(h, "login.html", &r);
        r.code = 401;
        return send_reply(c, &r, NULL);
    }
    char cookie[FR_HTTP_SECRET_MAX + 80];
    snprintf(cookie, sizeof cookie, "fr_token=%s; HttpOnly; SameSite=Strict; Path=/", h->token);
    fr_http_reply r = {0};
    fr_http_reply_text(&r, 303, "text/plain; charset=utf-8", "logged in\n");
    return send_reply(c, &r, cookie);
}

/* /api/jobs/ID[/WHAT] -> id, what ("" for the job itself); 0 if not that shape. */
static int job_route(const char *url, char id[16], const char **what)
{
    if (strncmp(url, "/api/jobs/", 10))
        return 0;
    const char *p = url + 10, *slash = strchr(p, '/');
    size_t n = slash ? (size_t)(slash - p) : strlen(p);
    if (n >= 16)
        return 0;
    memcpy(id, p, n);
    id[n] = 0;
    *what = slash ? slash + 1 : "";
    return fr_http_job_id_ok(id);
}

static enum MHD_Result route(fr_job_http *h, struct MHD_Connection *c, const char *url, const char *method,
                             req_state *s)
{
    int post = !strcmp(method, "POST");
    fr_http_reply r = {0};
    char id[16];
    const char *what = NULL;
    if (post && !strcmp(url, "/login"))
        return login(h, c, s);
    if (!post && !strcmp(url, "/")) {
        page(h, s->authorized ? "index.html" : "login.html", &r);
        if (!s->authorized)
            r.code = 401;
    } else if (!post && (!strcmp(url, "/app.js") || !strcmp(url, "/style.css"))) {
        const fr_http_asset *a = fr_http_asset_find(url + 1);
        r = (fr_http_reply){200, a->type, (char *)a->data, a->len, 0};
    } else if (!post && !strcmp(url, "/favicon.ico")) {
        r = (fr_http_reply){204, "text/plain", "", 0, 0}; /* none: browsers ask anyway */
    } else if (!post && !strcmp(url, "/api/jobs")) {
        fr_http_api_list(h, &r);
    } else if (!post && !strcmp(url, "/api/csrf")) {
        json_t *o = json_pack("{s:s}", "csrf", h->csrf);
        char *t = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        fr_http_reply_text(&r, 200, "application/json", t ? t : "{}");
        free(t);
    } else if (job_route(url, id, &what)) {
        if (!post && !strcmp(what, ""))
            fr_http_api_status(h, id, &r);
        else if (!post && !strcmp(what, "log"))
            fr_http_api_log(h, id, &r);
        else if (!post && !strcmp(what, "sheet.png"))
            fr_http_work_sheet(h, id, &r);
        else if (!post && !strcmp(what, "verify"))
            fr_http_work_verify(h, id, &r);
        else if (post && !strcmp(what, "cancel"))
            fr_http_api_cancel(h, id, &r);
        else if (post && !strcmp(what, "resubmit"))
            fr_http_api_resubmit(h, id, &r);
        else
            fr_http_reply_error(&r, 404, "no such page");
    } else {
        fr_http_reply_error(&r, 404, "no such page");
    }
    return send_reply(c, &r, NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    fr_job_http *h = cls;
    req_state *s = *con_cls;
    if (!s) { /* headers only, so far */
        if (!(s = calloc(1, sizeof *s)))
            return MHD_NO;
        *con_cls = s;
        const char *why = NULL;
        int code = check(h, c, url, method, s, &why);
        if (code) {
            s->refused = 1;
            return send_error(c, code, why);
        }
        return MHD_YES;
    }
    if (*upload_size) {
        if (s->refused) { /* answered already: the rest is dropped */
            *upload_size = 0;
            return MHD_YES;
        }
        if (s->len + *upload_size > FR_HTTP_BODY_MAX)
            return MHD_NO; /* no Content-Length, too much: the connection is closed */
        char *b = realloc(s->body, s->len + *upload_size + 1);
        if (!b)
            return MHD_NO;
        memcpy(b + s->len, upload, *upload_size);
        s->body = b;
        s->len += *upload_size;
        s->body[s->len] = 0;
        *upload_size = 0;
        return MHD_YES;
    }
    if (s->refused)
        return MHD_YES;
    return route(h, c, url, method, s);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t)
{
    (void)cls;
    (void)c;
    (void)t;
    req_state *s = *con_cls;
    if (s) {
        free(s->body);
        free(s);
    }
    *con_cls = NULL;
}

/* Percent-escapes stay as they are (see job_http_guard.h): fr_http_path_ok
 * then refuses a path that has one. */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    return strlen(s);
}

fr_status fr_job_http_new(fr_job_http **out, const char *listen, const char *token_file, fr_err *err)
{
    *out = NULL;
    if (!listen)
        return token_file ? fr_err_set(err, FR_ERR_ARG, "--http-token needs --http HOST:PORT") : FR_OK;
    fr_job_http *h = calloc(1, sizeof *h);
    if (!h)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    fr_status st = fr_http_parse_listen(listen, &h->sa, &h->sa_len, &h->loopback, err);
    if (st == FR_OK && token_file && (st = fr_http_token_read(token_file, h->token, err)) == FR_OK)
        h->has_token = 1;
    if (st == FR_OK && !h->loopback && !h->has_token)
        st = fr_err_set(err, FR_ERR_ARG, "--http %s is not loopback: give --http-token FILE", listen);
    if (st == FR_OK)
        st = fr_http_random_hex(h->csrf, err);
    if (st == FR_OK && pthread_mutex_init(&h->work_lock, NULL) != 0)
        st = fr_err_set(err, FR_ERR_INTERNAL, "pthread_mutex_init failed");
    h->lock_made = st == FR_OK;
    if (st != FR_OK) {
        fr_job_http_free(h);
        return st;
    }
    *out = h;
    return FR_OK;
}

/* SPOOL/http.json: {"url": ..., "pid": ...}, written whole and renamed, once
 * the page answers (tests and tools wait for it, as for endpoints.json). */
static fr_status write_url(fr_job_http *h, fr_err *err)
{
    char host[INET6_ADDRSTRLEN] = "", url[INET6_ADDRSTRLEN + 32], path[PATH_MAX + 32], tmp[PATH_MAX + 32];
    if (h->sa.ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&h->sa)->sin6_addr, host, sizeof host);
        snprintf(url, sizeof url, "http://[%s]:%u/", host, h->port);
    } else {
        inet_ntop(AF_INET, &((struct sockaddr_in *)&h->sa)->sin_addr, host, sizeof host);
        snprintf(url, sizeof url, "http://%s:%u/", host, h->port);
    }
    snprintf(path, sizeof path, "%s/http.json", h->spool);
    snprintf(tmp, sizeof tmp, "%s/.http.tmp", h->spool);
    json_t *o = json_pack("{s:s, s:I}", "url", url, "pid", (json_int_t)getpid());
    int bad = !o || json_dump_file(o, tmp, JSON_COMPACT) != 0 || rename(tmp, path) != 0;
    json_decref(o);
    if (bad)
        return fr_err_set(err, FR_ERR_IO, "write %s: %s", path, strerror(errno));
    fr_info("filmrestored", "web page on %s%s", url, h->has_token ? " (token required)" : "");
    return FR_OK;
}

fr_status fr_job_http_start(fr_job_http *h, void *zmq_ctx, void *router, const char *spool, const char *exe,
                            fr_err *err)
{
    if (!h)
        return FR_OK;
    h->zctx = zmq_ctx;
    if (!realpath(spool, h->spool))
        return fr_err_set(err, FR_ERR_IO, "realpath %s: %s", spool, strerror(errno));
    snprintf(h->exe, sizeof h->exe, "%s", exe);
    snprintf(h->www, sizeof h->www, "%s/www", h->spool);
    if (mkdir(h->www, 0700) != 0 && errno != EEXIST)
        return fr_err_set(err, FR_ERR_IO, "mkdir %s: %s", h->www, strerror(errno));
    if (zmq_bind(router, FR_HTTP_INPROC) != 0)
        return fr_err_set(err, FR_ERR_JOB, "zmq_bind %s: %s", FR_HTTP_INPROC, zmq_strerror(zmq_errno()));
    int v6 = h->sa.ss_family == AF_INET6;
    uint16_t port = ntohs(v6 ? ((struct sockaddr_in6 *)&h->sa)->sin6_port : ((struct sockaddr_in *)&h->sa)->sin_port);
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | (v6 ? MHD_USE_IPv6 : 0);
    h->d = MHD_start_daemon(flags, port, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&h->sa,
                            MHD_OPTION_THREAD_POOL_SIZE, (unsigned)POOL_THREADS, MHD_OPTION_CONNECTION_LIMIT,
                            (unsigned)512, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)65536, MHD_OPTION_NOTIFY_COMPLETED,
                            on_completed, NULL, MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL, MHD_OPTION_END);
    if (!h->d)
        return fr_err_set(err, FR_ERR_IO, "--http: cannot listen there (MHD_start_daemon: %s)", strerror(errno));
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    if (!info || !info->port)
        return fr_err_set(err, FR_ERR_IO, "--http: the bound port is unknown");
    h->port = info->port;
    return write_url(h, err);
}

void fr_job_http_free(fr_job_http *h)
{
    if (!h)
        return;
    if (h->d)
        MHD_stop_daemon(h->d);
    if (h->lock_made)
        pthread_mutex_destroy(&h->work_lock);
    free(h);
}
