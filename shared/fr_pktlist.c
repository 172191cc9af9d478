/* fr_pktlist.c: packet lists and part files (fr_pktlist.h). */
#include "fr_pktlist.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/adler32.h>

#include "fr_sys.h"

#define REC_HEAD (3 * sizeof(int64_t) + 2 * sizeof(int32_t))
#define PART_MAGIC "FRPARTS2"
#define PART_HEAD 24
#define PART_MAX ((size_t)1 << 34) /* 16 GiB: more than any segment's packets */

fr_status fr_pktlist_add(fr_pktlist *l, int64_t pts, int64_t dts, int64_t duration, int flags,
                         const uint8_t *data, int size, fr_err *err)
{
    if (size < 0)
        return fr_err_set(err, FR_ERR_ARG, "packet of negative size");
    if (!size)
        data = NULL;
    uint8_t head[REC_HEAD];
    int32_t f = flags, s = size;
    memcpy(head, &pts, 8);
    memcpy(head + 8, &dts, 8);
    memcpy(head + 16, &duration, 8);
    memcpy(head + 24, &f, 4);
    memcpy(head + 28, &s, 4);
    fr_status st = fr_pktlist_put_raw(l, head, sizeof head, err);
    if (st == FR_OK)
        st = fr_pktlist_put_raw(l, data, (size_t)size, err);
    l->count += st == FR_OK;
    return st;
}

fr_status fr_pktlist_put_raw(fr_pktlist *l, const void *data, size_t n, fr_err *err)
{
    size_t need = l->len + n;
    if (need > l->cap) {
        size_t cap = l->cap ? l->cap : 1 << 16;
        while (cap < need)
            cap *= 2;
        uint8_t *p = realloc(l->data, cap);
        if (!p)
            return fr_err_set(err, FR_ERR_NOMEM, "out of memory for %zu bytes", need);
        l->data = p;
        l->cap = cap;
    }
    if (n)
        memcpy(l->data + l->len, data, n);
    l->len = need;
    return FR_OK;
}

int fr_pktlist_next(const uint8_t *buf, size_t len, size_t *pos, fr_pkt *p)
{
    if (*pos == len)
        return 0;
    if (*pos > len || len - *pos < REC_HEAD)
        return -1;
    const uint8_t *o = buf + *pos;
    memcpy(&p->pts, o, 8);
    memcpy(&p->dts, o + 8, 8);
    memcpy(&p->duration, o + 16, 8);
    memcpy(&p->flags, o + 24, 4);
    memcpy(&p->size, o + 28, 4);
    if (p->size < 0 || (size_t)p->size > len - *pos - REC_HEAD)
        return -1;
    p->data = o + REC_HEAD;
    *pos += REC_HEAD + (size_t)p->size;
    return 1;
}

int64_t fr_pktlist_check(const uint8_t *buf, size_t len)
{
    size_t pos = 0;
    fr_pkt p;
    int64_t n = 0;
    int r;
    while ((r = fr_pktlist_next(buf, len, &pos, &p)) == 1)
        n++;
    return r < 0 ? -1 : n;
}

void fr_pktlist_release(fr_pktlist *l)
{
    free(l->data);
    memset(l, 0, sizeof *l);
}

/* File: magic[8], u64 length, u32 Adler-32, u32 zero, then the body. Adler-32 is fast enough
 * for rank 0 to pass every byte of the output through it, and with the length it finds a
 * truncated or damaged part; the temporary name, fsync and rename keep a half-written one
 * from ever bearing the part's name. */
fr_status fr_pktlist_save(const fr_part_slice *parts, int n, const char *path, fr_err *err)
{
    uint8_t head[PART_HEAD];
    uint64_t len = 0;
    AVAdler sum = 1;
    fr_sys_piece pieces[9] = {{head, sizeof head}};
    if (n > 8)
        return fr_err_set(err, FR_ERR_INTERNAL, "a part file of %d slices", n);
    for (int i = 0; i < n; i++) {
        len += parts[i].len;
        sum = av_adler32_update(sum, parts[i].data, parts[i].len);
        pieces[i + 1] = (fr_sys_piece){parts[i].data, parts[i].len};
    }
    uint32_t s32 = sum, zero = 0;
    memcpy(head, PART_MAGIC, 8);
    memcpy(head + 8, &len, 8);
    memcpy(head + 16, &s32, 4);
    memcpy(head + 20, &zero, 4);
    if (fr_sys_write_file(path, pieces, n + 1) != 0)
        return fr_err_set(err, FR_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    return FR_OK;
}

fr_status fr_pktlist_load(const char *path, uint8_t **buf, size_t *len, fr_err *err)
{
    *buf = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return fr_err_set(err, FR_ERR_IO, "cannot read %s: %s", path, strerror(errno));
    uint8_t head[PART_HEAD];
    uint64_t n = 0;
    struct stat sb;
    fr_status st = FR_OK;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || read(fd, head, sizeof head) != (ssize_t)sizeof head ||
        memcmp(head, PART_MAGIC, 8) != 0) {
        st = fr_err_set(err, FR_ERR_INPUT, "%s: not a part file", path);
    } else {
        memcpy(&n, head + 8, 8);
        if (n > PART_MAX || (uint64_t)sb.st_size != n + sizeof head)
            st = fr_err_set(err, FR_ERR_INPUT, "%s: truncated part file", path);
    }
    uint8_t *b = st == FR_OK ? malloc(n ? n : 1) : NULL;
    if (st == FR_OK && !b)
        st = fr_err_set(err, FR_ERR_NOMEM, "out of memory for %s", path);
    size_t got = 0;
    while (st == FR_OK && got < n) {
        ssize_t r = read(fd, b + got, n - got);
        if (r <= 0)
            st = fr_err_set(err, FR_ERR_IO, "cannot read %s: %s", path, r < 0 ? strerror(errno) : "short read");
        else
            got += (size_t)r;
    }
    close(fd);
    uint32_t want;
    memcpy(&want, head + 16, 4);
    if (st == FR_OK && av_adler32_update(1, b, n) != want)
        st = fr_err_set(err, FR_ERR_INPUT, "%s: corrupt part file (checksum)", path);
    if (st != FR_OK) {
        free(b);
        return st;
    }
    *buf = b;
    *len = n;
    return FR_OK;
}
