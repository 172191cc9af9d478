/* job_http_guard.h: the web page's checks on what a request may be, kept apart
 * from libmicrohttpd so that unit tests reach them (tests/unit/test_job_http.c).
 *
 * The rules (docs/jobs.md, "The web page"):
 *   - a path is plain ASCII [A-Za-z0-9/._-], starts with '/', and holds no ".."
 *     and no "//"; percent-escapes are never decoded (job_http.c installs an
 *     unescape callback that leaves them), so "%2e%2e%2f" or "%2f" is refused
 *     rather than turned into a separator;
 *   - secrets (the bearer token, the CSRF token) are compared in constant time;
 *   - without a token the service is reachable from this machine only, and the
 *     Host header must name a loopback address (DNS rebinding);
 *   - a state-changing request comes from the page itself: its Origin, when sent,
 *     is this server's, and Sec-Fetch-Site, when sent, is same-origin. */
#ifndef FR_JOB_HTTP_GUARD_H
#define FR_JOB_HTTP_GUARD_H

#include <stddef.h>
#include <sys/socket.h>

#include "fr_status.h"

#define FR_HTTP_SECRET_MAX 256

/* 1 if path may be routed at all. */
int fr_http_path_ok(const char *path);
/* 1 if the two NUL-terminated strings are equal; the time taken depends only on
 * the length of want (the secret), not on where they differ. NULL got: 0. */
int fr_http_secret_equal(const char *got, const char *want);
/* 1 if "j" and 6 to 9 digits. */
int fr_http_job_id_ok(const char *s);
/* 1 if host (a Host header) is 127.x.x.x, localhost or [::1], with ":port". */
int fr_http_host_loopback(const char *host, unsigned port);
/* 1 if a POST may change state: origin NULL or "http://" + host; site NULL,
 * "same-origin" or "none". */
int fr_http_same_origin(const char *origin, const char *host, const char *site);

/* --http HOST:PORT (HOST an IPv4 address, [IPv6] or localhost; PORT 0 takes a
 * free one) into a socket address; *loopback says whether only this machine can
 * reach it. */
fr_status fr_http_parse_listen(const char *text, struct sockaddr_storage *sa, socklen_t *len, int *loopback,
                               fr_err *err);
/* Reads --http-token FILE: one line of 16 to 255 printable characters, no
 * spaces, in a file that only its owner may read. */
fr_status fr_http_token_read(const char *path, char out[FR_HTTP_SECRET_MAX], fr_err *err);
/* 32 random bytes as 64 hex digits: the CSRF token of this daemon's life. */
fr_status fr_http_random_hex(char out[FR_HTTP_SECRET_MAX], fr_err *err);

#endif
