/* job_http_guard.c: request checks for the web page (job_http_guard.h). Pure
 * functions of their arguments, but for reading the token file and /dev/urandom. */
#include "job_http_guard.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

int fr_http_path_ok(const char *p)
{
    if (!p || p[0] != '/' || strstr(p, "..") || strstr(p, "//"))
        return 0;
    for (; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '.' ||
              c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

int fr_http_secret_equal(const char *got, const char *want)
{
    if (!got || !want)
        return 0;
    size_t n = strlen(want), g = strnlen(got, FR_HTTP_SECRET_MAX);
    volatile unsigned char diff = (unsigned char)(g != n);
    for (size_t i = 0; i < n; i++) /* reads got only up to its NUL: past it, compares with 0 */
        diff |= (unsigned char)(want[i] ^ (i < g ? got[i] : 0));
    return diff == 0;
}

int fr_http_job_id_ok(const char *s)
{
    if (!s || s[0] != 'j')
        return 0;
    size_t n = 0;
    for (s++; *s; s++, n++)
        if (*s < '0' || *s > '9')
            return 0;
    return n >= 6 && n <= 9;
}

int fr_http_host_loopback(const char *host, unsigned port)
{
    if (!host)
        return 0;
    char want[16];
    snprintf(want, sizeof want, ":%u", port);
    const char *colon = strrchr(host, ':');
    if (!colon || strcmp(colon, want))
        return 0;
    size_t n = (size_t)(colon - host);
    if ((n == 9 && !strncmp(host, "localhost", 9)) || (n == 5 && !strncmp(host, "[::1]", 5)))
        return 1;
    char ip[INET_ADDRSTRLEN];
    struct in_addr a;
    if (n >= sizeof ip)
        return 0;
    memcpy(ip, host, n);
    ip[n] = 0;
    return inet_pton(AF_INET, ip, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

int fr_http_same_origin(const char *origin, const char *host, const char *site)
{
    if (site && strcmp(site, "same-origin") && strcmp(site, "none"))
        return 0;
    if (!origin)
        return 1;
    return host && !strncmp(origin, "http://", 7) && !strcmp(origin + 7, host);
}

fr_status fr_http_parse_listen(const char *text, struct sockaddr_storage *sa, socklen_t *len, int *loopback,
                               fr_err *err)
{
    char host[256];
    const char *colon = text ? strrchr(text, ':') : NULL;
    if (!colon || colon == text || (size_t)(colon - text) >= sizeof host)
        return fr_err_set(err, FR_ERR_ARG, "--http '%s': give HOST:PORT, e.g. 127.0.0.1:8080", text ? text : "");
    char *end;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (colon[1] < '0' || colon[1] > '9' || *end || errno || port < 0 || port > 65535)
        return fr_err_set(err, FR_ERR_ARG, "--http '%s': the port must be 0 to 65535", text);
    size_t n = (size_t)(colon - text);
    memcpy(host, text, n);
    host[n] = 0;
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        memmove(host, host + 1, n - 2);
        host[n - 2] = 0;
    }
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    if (strcmp(host, "localhost"))
        hints.ai_flags |= AI_NUMERICHOST; /* an address, not a name to look up */
    char portstr[8];
    snprintf(portstr, sizeof portstr, "%ld", port);
    int rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0 || !res)
        return fr_err_set(err, FR_ERR_ARG, "--http '%s': %s is not an IP address or localhost", text, host);
    memcpy(sa, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    if (sa->ss_family == AF_INET)
        *loopback = (ntohl(((struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    else
        *loopback = sa->ss_family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)sa)->sin6_addr);
    return FR_OK;
}

fr_status fr_http_token_read(const char *path, char out[FR_HTTP_SECRET_MAX], fr_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return fr_err_set(err, FR_ERR_ARG, "--http-token %s: %s", path, strerror(errno));
    struct stat s;
    if (fstat(fd, &s) != 0 || !S_ISREG(s.st_mode)) {
        close(fd);
        return fr_err_set(err, FR_ERR_ARG, "--http-token %s: not a regular file", path);
    }
    if (s.st_mode & 077) {
        close(fd);
        return fr_err_set(err, FR_ERR_ARG, "--http-token %s: others may read it (chmod 600)", path);
    }
    ssize_t n = read(fd, out, FR_HTTP_SECRET_MAX - 1);
    int e = errno;
    close(fd);
    if (n < 0)
        return fr_err_set(err, FR_ERR_IO, "--http-token %s: %s", path, strerror(e));
    out[n] = 0;
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
        out[--n] = 0;
    for (ssize_t i = 0; i < n; i++)
        if (out[i] <= ' ' || out[i] > '~')
            return fr_err_set(err, FR_ERR_ARG, "--http-token %s: one line of printable characters, no spaces", path);
    if (n < 16 || n >= FR_HTTP_SECRET_MAX - 1)
        return fr_err_set(err, FR_ERR_ARG, "--http-token %s: the token must have 16 to 254 characters", path);
    return FR_OK;
}

fr_status fr_http_random_hex(char out[FR_HTTP_SECRET_MAX], fr_err *err)
{
    unsigned char b[32];
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
        return fr_err_set(err, FR_ERR_IO, "getrandom: %s", strerror(errno));
    for (size_t i = 0; i < sizeof b; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
    return FR_OK;
}
