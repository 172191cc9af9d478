/* fr_sequence.c: an image sequence's numbers, read from its folder (fr_sequence.h). */
#include "fr_sequence.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PICTURES 10000000

struct fr_sequence {
    char dir[PATH_MAX];
    char prefix[NAME_MAX + 1], suffix[NAME_MAX + 1];
    int width;       /* %0Nd: N; %d: 0 */
    int64_t *num;    /* sorted */
    int64_t n, cap;
};

/* Splits NAME into prefix, %[0N]d and suffix; 0 if it is not one such pattern. */
static int split(fr_sequence *s, const char *name)
{
    const char *pc = strchr(name, '%');
    if (!pc || strchr(pc + 1, '%'))
        return 0;
    const char *p = pc + 1;
    int width = 0;
    if (*p == '0')
        width = (int)strtol(p, (char **)&p, 10);
    if (*p != 'd' || width > 18)
        return 0;
    snprintf(s->prefix, sizeof s->prefix, "%.*s", (int)(pc - name), name);
    snprintf(s->suffix, sizeof s->suffix, "%s", p + 1);
    s->width = width;
    return 1;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

fr_status fr_sequence_scan(fr_sequence **out, const char *path, fr_err *err)
{
    *out = NULL;
    fr_sequence *s = calloc(1, sizeof *s);
    if (!s)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    const char *slash = strrchr(path, '/');
    snprintf(s->dir, sizeof s->dir, "%.*s", slash ? (int)(slash - path) + (slash == path) : 1, slash ? path : ".");
    fr_status st = FR_OK;
    if (!split(s, slash ? slash + 1 : path)) {
        st = fr_err_set(err, FR_ERR_ARG, "%s: not an image-sequence pattern with one %%d or %%0Nd", path);
        goto fail;
    }
    DIR *d = opendir(s->dir);
    if (!d) {
        st = fr_err_set(err, FR_ERR_INPUT, "%s: %s", s->dir, strerror(errno));
        goto fail;
    }
    size_t pl = strlen(s->prefix), sl = strlen(s->suffix);
    struct dirent *e;
    while (st == FR_OK && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n <= pl + sl || strncmp(e->d_name, s->prefix, pl) || strcmp(e->d_name + n - sl, s->suffix))
            continue;
        size_t digits = n - pl - sl;
        if (strspn(e->d_name + pl, "0123456789") != digits || digits > 18 || (int)digits < s->width ||
            (s->width == 0 && digits > 1 && e->d_name[pl] == '0') ||
            (s->width > 0 && (int)digits > s->width && e->d_name[pl] == '0'))
            continue; /* not a name the pattern prints */
        if (s->n == MAX_PICTURES) {
            st = fr_err_set(err, FR_ERR_INPUT, "%s: more than %d pictures", path, MAX_PICTURES);
            break;
        }
        if (s->n == s->cap) {
            int64_t cap = s->cap ? 2 * s->cap : 1024;
            int64_t *p = realloc(s->num, sizeof *p * (size_t)cap);
            if (!p) {
                st = fr_err_set(err, FR_ERR_NOMEM, "out of memory");
                break;
            }
            s->num = p;
            s->cap = cap;
        }
        s->num[s->n++] = strtoll(e->d_name + pl, NULL, 10);
    }
    closedir(d);
    if (st != FR_OK)
        goto fail;
    if (s->n)
        qsort(s->num, (size_t)s->n, sizeof *s->num, cmp64);
    *out = s;
    return FR_OK;
fail:
    fr_sequence_free(s);
    return st;
}

void fr_sequence_free(fr_sequence *s)
{
    if (!s)
        return;
    free(s->num);
    free(s);
}

int fr_sequence_gap(const fr_sequence *s, int64_t k, int64_t *after, int64_t *missing, char *name, size_t len)
{
    for (int64_t i = 1; i < s->n; i++) {
        if (s->num[i] - s->num[i - 1] <= 1)
            continue;
        if (k-- > 0)
            continue;
        *after = i - 1;
        *missing = s->num[i] - s->num[i - 1] - 1;
        snprintf(name, len, "%s%0*lld%s", s->prefix, s->width, (long long)(s->num[i - 1] + 1), s->suffix);
        return 1;
    }
    return 0;
}

/* Appends text to buf at *off with glob's metacharacters escaped; 0 when it does not fit. */
static int put_escaped(char *buf, size_t len, size_t *off, const char *text)
{
    for (const char *c = text; *c; c++) {
        if (strchr("*?[]\\{}", *c)) {
            if (*off + 1 >= len)
                return 0;
            buf[(*off)++] = '\\';
        }
        if (*off + 1 >= len)
            return 0;
        buf[(*off)++] = *c;
    }
    buf[*off] = 0;
    return 1;
}

/* Appends n copies of "[0-9]"; 0 when it does not fit. */
static int put_digits(char *buf, size_t len, size_t *off, int n)
{
    for (int i = 0; i < n; i++) {
        if (*off + 6 > len)
            return 0;
        memcpy(buf + *off, "[0-9]", 6);
        *off += 5;
    }
    return 1;
}

/* Digits of a number as the pattern prints it. */
static int digits_of(const fr_sequence *s, int64_t v)
{
    int d = 1;
    while (v >= 10) {
        v /= 10;
        d++;
    }
    return d > s->width ? d : s->width;
}

int fr_sequence_glob(const fr_sequence *s, char *buf, size_t len)
{
    size_t off = 0;
    buf[0] = 0;
    if (!s->n || !put_escaped(buf, len, &off, s->dir) || !put_escaped(buf, len, &off, "/") ||
        !put_escaped(buf, len, &off, s->prefix))
        return 0;
    /* one alternative per digit count found, shortest first: glob (GLOB_BRACE, as image2
     * calls it) lists each alternative sorted, in order, which is the numbers' order */
    int present[20] = {0}, kinds = 0;
    for (int64_t i = 0; i < s->n; i++) {
        int d = digits_of(s, s->num[i]);
        kinds += !present[d];
        present[d] = 1;
    }
    if (kinds > 1 && off + 1 < len)
        buf[off++] = '{';
    for (int d = 1, first = 1; d < 20; d++) {
        if (!present[d]) /* an alternative with no match would come back as itself */
            continue;
        if (!first && off + 1 < len)
            buf[off++] = ',';
        first = 0;
        if (!put_digits(buf, len, &off, d))
            return 0;
    }
    if (kinds > 1 && off + 1 < len)
        buf[off++] = '}';
    if (off + 1 >= len)
        return 0;
    buf[off] = 0;
    return put_escaped(buf, len, &off, s->suffix);
}
