/* test_job_http.c: the web page's request checks (jobs/job_http_guard.c): paths,
 * secrets, job ids, Host names, same-origin POSTs, --http addresses, token files. */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "job_http_guard.h"

Test(http_guard, paths)
{
    const char *good[] = {"/", "/app.js", "/api/jobs", "/api/jobs/j000001/sheet.png", "/style.css"};
    const char *bad[] = {"", "app.js", "/..", "/api/jobs/../x", "/a/..", "//etc/passwd", "/api/jobs/j1%2f..",
                         "/%2e%2e/", "/a\\b", "/a b", "/a?b", "/caf\xc3\xa9", "/x\r\n", NULL};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        cr_assert(fr_http_path_ok(good[i]), "%s", good[i]);
    for (size_t i = 0; bad[i]; i++)
        cr_assert(!fr_http_path_ok(bad[i]), "%s", bad[i]);
    cr_assert(!fr_http_path_ok(NULL));
}

Test(http_guard, secrets)
{
    const char *s = "0123456789abcdef0123";
    cr_assert(fr_http_secret_equal("0123456789abcdef0123", s));
    cr_assert(!fr_http_secret_equal("0123456789abcdef012", s), "a prefix is not the secret");
    cr_assert(!fr_http_secret_equal("0123456789abcdef01234", s), "nor a longer text");
    cr_assert(!fr_http_secret_equal("1123456789abcdef0123", s));
    cr_assert(!fr_http_secret_equal("", s));
    cr_assert(!fr_http_secret_equal(NULL, s));
}

Test(http_guard, job_ids)
{
    cr_assert(fr_http_job_id_ok("j000001"));
    cr_assert(fr_http_job_id_ok("j123456789"));
    cr_assert(!fr_http_job_id_ok("j00001"));
    cr_assert(!fr_http_job_id_ok("j0000000001"));
    cr_assert(!fr_http_job_id_ok("k000001"));
    cr_assert(!fr_http_job_id_ok("j00000a"));
    cr_assert(!fr_http_job_id_ok("j000001.json"));
}

Test(http_guard, hosts)
{
    cr_assert(fr_http_host_loopback("127.0.0.1:8080", 8080));
    cr_assert(fr_http_host_loopback("127.1.2.3:8080", 8080));
    cr_assert(fr_http_host_loopback("localhost:8080", 8080));
    cr_assert(fr_http_host_loopback("[::1]:8080", 8080));
    cr_assert(!fr_http_host_loopback("127.0.0.1:8081", 8080), "another port");
    cr_assert(!fr_http_host_loopback("127.0.0.1", 8080));
    cr_assert(!fr_http_host_loopback("evil.example:8080", 8080));
    cr_assert(!fr_http_host_loopback("127.0.0.1.evil.example:8080", 8080));
    cr_assert(!fr_http_host_loopback("localhost.evil.example:8080", 8080));
    cr_assert(!fr_http_host_loopback("10.0.0.1:8080", 8080));
    cr_assert(!fr_http_host_loopback(NULL, 8080));
}

Test(http_guard, same_origin)
{
    cr_assert(fr_http_same_origin(NULL, "127.0.0.1:80", NULL));
    cr_assert(fr_http_same_origin("http://127.0.0.1:80", "127.0.0.1:80", "same-origin"));
    cr_assert(!fr_http_same_origin("http://evil.example", "127.0.0.1:80", NULL));
    cr_assert(!fr_http_same_origin("null", "127.0.0.1:80", NULL));
    cr_assert(!fr_http_same_origin("http://127.0.0.1:80", NULL, NULL));
    cr_assert(!fr_http_same_origin("https://127.0.0.1:80", "127.0.0.1:80", NULL));
    cr_assert(!fr_http_same_origin(NULL, "127.0.0.1:80", "cross-site"));
    cr_assert(!fr_http_same_origin(NULL, "127.0.0.1:80", "same-site"));
}

Test(http_guard, listen_addresses)
{
    struct sockaddr_storage sa;
    socklen_t len;
    int lo = -1;
    fr_err e = {0};
    cr_assert_eq(fr_http_parse_listen("127.0.0.1:8080", &sa, &len, &lo, &e), FR_OK, "%s", e.msg);
    cr_assert(lo == 1 && sa.ss_family == AF_INET && ntohs(((struct sockaddr_in *)&sa)->sin_port) == 8080);
    cr_assert_eq(fr_http_parse_listen("[::1]:0", &sa, &len, &lo, &e), FR_OK, "%s", e.msg);
    cr_assert(lo == 1 && sa.ss_family == AF_INET6);
    cr_assert_eq(fr_http_parse_listen("localhost:9", &sa, &len, &lo, &e), FR_OK, "%s", e.msg);
    cr_assert(lo == 1);
    cr_assert_eq(fr_http_parse_listen("0.0.0.0:80", &sa, &len, &lo, &e), FR_OK, "%s", e.msg);
    cr_assert(lo == 0, "0.0.0.0 is every interface, not loopback");
    cr_assert_eq(fr_http_parse_listen("[::]:80", &sa, &len, &lo, &e), FR_OK, "%s", e.msg);
    cr_assert(lo == 0);
    const char *bad[] = {"8080", ":8080", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:80x",
                         "example.org:80", "127.0.0.1:+80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(fr_http_parse_listen(bad[i], &sa, &len, &lo, &e), FR_ERR_ARG, "%s", bad[i]);
}

Test(http_guard, token_files)
{
    char dir[] = "/tmp/fr-http-token-XXXXXX", path[64], tok[FR_HTTP_SECRET_MAX];
    cr_assert(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/t", dir);
    fr_err e = {0};
    FILE *f = fopen(path, "w");
    fputs("abcdefghijklmnop-1\n", f);
    fclose(f);
    chmod(path, 0600);
    cr_assert_eq(fr_http_token_read(path, tok, &e), FR_OK, "%s", e.msg);
    cr_assert_str_eq(tok, "abcdefghijklmnop-1");
    chmod(path, 0640);
    cr_assert_eq(fr_http_token_read(path, tok, &e), FR_ERR_ARG, "a group-readable token file");
    f = fopen(path, "w");
    fputs("with a space in it, long enough\n", f);
    fclose(f);
    chmod(path, 0600);
    cr_assert_eq(fr_http_token_read(path, tok, &e), FR_ERR_ARG, "a token with spaces");
    f = fopen(path, "w");
    fputs("short\n", f);
    fclose(f);
    cr_assert_eq(fr_http_token_read(path, tok, &e), FR_ERR_ARG, "a short token");
    unlink(path);
    cr_assert_eq(fr_http_token_read(path, tok, &e), FR_ERR_ARG, "a missing file");
    rmdir(dir);
    char a[FR_HTTP_SECRET_MAX], b[FR_HTTP_SECRET_MAX];
    cr_assert_eq(fr_http_random_hex(a, &e), FR_OK);
    cr_assert_eq(fr_http_random_hex(b, &e), FR_OK);
    cr_assert(strlen(a) == 64 && strcmp(a, b));
}
