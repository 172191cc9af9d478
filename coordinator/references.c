/* references.c: finding, naming and reading reference frames (references.h).
 *
 * Untrusted in every way (names, counts, sizes, file types): everything about the list is
 * checked before the first picture is decoded. */
#include "references.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fr_confine.h"
#include "fr_image_chroma.h"
#include "fr_video_in.h"
#include "fr_log.h"
#include "fr_path.h"
#include "fr_sha256.h"

void fr_references_free(fr_references *refs)
{
    if (!refs)
        return;
    for (int i = 0; i < refs->n; i++)
        free(refs->r[i].chroma);
    free(refs->r);
    free(refs);
}

/* "123", "00-00-05-04" or "00:00:05:04" (the whole of [p, p+len)) as a frame number; -1 if neither. */
static int64_t parse_frame(const char *p, size_t len, int fps)
{
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, p, len);
    buf[len] = 0;
    size_t digits = strspn(buf, "0123456789");
    if (digits == len)
        return digits > 12 ? -1 : strtoll(buf, NULL, 10);
    int hh, mm, ss, ff, used = 0;
    char a, b, c;
    if (sscanf(buf, "%2d%c%2d%c%2d%c%2d%n", &hh, &a, &mm, &b, &ss, &c, &ff, &used) != 7 || (size_t)used != len ||
        len != 11 || a != b || b != c || (a != '-' && a != ':') || mm > 59 || ss > 59 || fps < 1 || ff >= fps)
        return -1;
    return (((int64_t)hh * 60 + mm) * 60 + ss) * fps + ff;
}

/* Phase one lists every entry (frame and path) and checks it: a usable name, a regular
 * file (a FIFO would hang the reader), under the service's roots in a service run, the count
 * and the memory the chroma would take within bounds. Phase two decodes, only once every
 * entry has passed, so a bad list is refused before any picture is read. */
static fr_status list_add(fr_references *refs, int *cap, int64_t frame, const char *path, fr_err *err)
{
    if (refs->n == FR_REFERENCES_MAX)
        return fr_err_set(err, FR_ERR_ARG, "more than %d reference pictures (at %s); give one or a few per shot",
                          FR_REFERENCES_MAX, path);
    if ((int64_t)(refs->n + 1) * refs->size * refs->size * 2 > FR_REFERENCES_BYTES)
        return fr_err_set(err, FR_ERR_ARG,
                          "%d reference pictures at render size %d would take more than %lld MiB (at %s); give fewer",
                          refs->n + 1, refs->size, (long long)(FR_REFERENCES_BYTES >> 20), path);
    if (strlen(path) >= sizeof refs->r[0].path)
        return fr_err_set(err, FR_ERR_ARG, "reference %.200s...: the path is too long", path);
    struct stat sb;
    if (stat(path, &sb) != 0)
        return fr_err_set(err, FR_ERR_IO, "reference %s: %s", path, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return fr_err_set(err, FR_ERR_ARG, "reference %s is not a regular file (a FIFO, a device or a folder)", path);
    fr_status st = fr_confine_check("reference", path, FR_CONFINE_FILE, err);
    if (st != FR_OK)
        return st;
    if (refs->n == *cap) {
        int c = *cap ? 2 * *cap : 16;
        fr_reference *p = realloc(refs->r, sizeof *p * (size_t)c);
        if (!p)
            return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        refs->r = p;
        *cap = c;
    }
    fr_reference *r = &refs->r[refs->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->path, sizeof r->path, "%s", path);
    r->frame = frame;
    return FR_OK;
}

/* Phase two: one picture into render-size chroma. */
static fr_status decode(fr_references *refs, fr_reference *r, fr_err *err)
{
    r->chroma = malloc((size_t)refs->size * refs->size * 2);
    if (!r->chroma)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    fr_status st = fr_image_chroma(r->path, refs->size, refs->colorspace, r->chroma, err);
    int colour = 0;
    for (size_t i = 0; st == FR_OK && i < (size_t)refs->size * refs->size * 2; i++)
        colour |= abs((int)r->chroma[i] - 128) > 2;
    if (st == FR_OK && !colour)
        fr_warn("references", "%s has no colour (an exported frame left unpainted?): its shot will come out gray", r->path);
    return st;
}

static fr_status load_dir(fr_references *refs, const char *dir, int fps, fr_err *err)
{
    struct dirent **names = NULL;
    int k = scandir(dir, &names, NULL, alphasort), cap = 0;
    if (k < 0)
        return fr_err_set(err, FR_ERR_IO, "--references %s: %s", dir, strerror(errno));
    fr_status st = FR_OK;
    for (int j = 0; j < k; j++) {
        const char *name = names[j]->d_name;
        if (st == FR_OK && name[0] != '.') {
            char path[2048];
            snprintf(path, sizeof path, "%s/%s", dir, name);
            const char *dot = strrchr(name, '.');
            int64_t frame = dot ? parse_frame(name, (size_t)(dot - name), fps) : -1;
            if (!fr_path_is_image(name) || frame < 0)
                st = fr_err_set(err, FR_ERR_ARG, "reference %s: the name is not a frame number (000123.png) or a timecode (00-00-05-04.png)", path);
            else
                st = list_add(refs, &cap, frame, path, err);
        }
        free(names[j]);
    }
    free(names);
    return st;
}

static fr_status load_csv(fr_references *refs, const char *csv, int fps, fr_err *err)
{
    struct stat sb;
    if (stat(csv, &sb) == 0 && !S_ISREG(sb.st_mode))
        return fr_err_set(err, FR_ERR_ARG, "--references %s is not a regular file or a folder", csv);
    FILE *f = fopen(csv, "r");
    if (!f)
        return fr_err_set(err, FR_ERR_IO, "--references %s: %s", csv, strerror(errno));
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", csv);
    char *slash = strrchr(dir, '/');
    if (slash)
        slash[1] = 0;
    else
        dir[0] = 0;
    char *line = NULL;
    size_t line_cap = 0;
    ssize_t got;
    int no = 0, cap = 0;
    fr_status st = FR_OK;
    while (st == FR_OK && (got = getline(&line, &line_cap, f)) >= 0) {
        no++;
        if (memchr(line, 0, (size_t)got)) {
            st = fr_err_set(err, FR_ERR_ARG, "%s:%d: the line holds a NUL byte (not a text CSV?)", csv, no);
            break;
        }
        size_t len = strcspn(line, "\r\n");
        if (len >= 2048) {
            st = fr_err_set(err, FR_ERR_ARG, "%s:%d: the line is too long", csv, no);
            break;
        }
        line[len] = 0;
        if (len == 0 || (no == 1 && !isdigit((unsigned char)line[0])))
            continue;
        char *comma = strchr(line, ',');
        int64_t frame = comma ? parse_frame(line, (size_t)(comma - line), fps) : -1;
        if (frame < 0 || !comma[1]) {
            st = fr_err_set(err, FR_ERR_ARG, "%s:%d: expected FRAME,FILE or HH:MM:SS:FF,FILE, got '%.80s'", csv, no, line);
            break;
        }
        char path[3200];
        snprintf(path, sizeof path, "%s%s", comma[1] == '/' ? "" : dir, comma + 1);
        st = list_add(refs, &cap, frame, path, err);
    }
    if (st == FR_OK && ferror(f))
        st = fr_err_set(err, FR_ERR_IO, "--references %s: read error", csv);
    free(line);
    fclose(f);
    return st;
}

static int by_frame(const void *a, const void *b)
{
    const fr_reference *x = a, *y = b;
    return x->frame < y->frame ? -1 : x->frame > y->frame ? 1 : strcmp(x->path, y->path);
}

fr_status fr_references_load(fr_references **out, const char *where, int size, int rate_num,
                             int rate_den, int64_t frames, const char *film, fr_err *err)
{
    *out = NULL;
    fr_video_in *in = NULL;
    fr_status fst = fr_video_in_open_demux(&in, film, err); /* its colour matrix tag */
    int colorspace = fst == FR_OK ? fr_video_in_info(in)->colorspace : 0;
    fr_video_in_free(in);
    if (fst != FR_OK)
        return fst;
    fr_references *refs = calloc(1, sizeof *refs);
    if (!refs)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    refs->size = size;
    refs->colorspace = colorspace;
    int fps = rate_den > 0 ? (int)((rate_num + rate_den / 2) / rate_den) : 0;
    struct stat sb;
    fr_status st;
    if (stat(where, &sb) != 0)
        st = fr_err_set(err, FR_ERR_IO, "--references %s: %s", where, strerror(errno));
    else
        st = S_ISDIR(sb.st_mode) ? load_dir(refs, where, fps, err) : load_csv(refs, where, fps, err);
    if (st == FR_OK && refs->n == 0)
        st = fr_err_set(err, FR_ERR_ARG, "--references %s: no reference pictures in it", where);
    if (st == FR_OK) {
        qsort(refs->r, (size_t)refs->n, sizeof *refs->r, by_frame);
        for (int i = 1; i < refs->n && st == FR_OK; i++)
            if (refs->r[i].frame == refs->r[i - 1].frame)
                st = fr_err_set(err, FR_ERR_ARG, "references %s and %s both name frame %lld", refs->r[i - 1].path,
                                refs->r[i].path, (long long)refs->r[i].frame);
    }
    if (st == FR_OK && frames >= 0)
        st = fr_references_check_range(refs, frames, err);
    for (int i = 0; st == FR_OK && i < refs->n; i++) /* only now: every entry has passed */
        st = decode(refs, &refs->r[i], err);
    if (st != FR_OK) {
        fr_references_free(refs);
        return st;
    }
    *out = refs;
    return FR_OK;
}

fr_status fr_references_check_range(const fr_references *refs, int64_t frames, fr_err *err)
{
    if (refs->n > 0 && refs->r[refs->n - 1].frame >= frames)
        return fr_err_set(err, FR_ERR_ARG, "reference %s: frame %lld is beyond the film's %lld frames",
                          refs->r[refs->n - 1].path, (long long)refs->r[refs->n - 1].frame, (long long)frames);
    return FR_OK;
}

int fr_references_in(const fr_references *refs, int64_t start, int64_t end, int *first)
{
    int i = 0, n = 0;
    while (i < refs->n && refs->r[i].frame < start)
        i++;
    *first = i;
    while (i + n < refs->n && refs->r[i + n].frame < end)
        n++;
    return n;
}

void fr_references_hash(const fr_references *refs, int first, int count, const fr_shot *shot,
                        const char *method, uint8_t hash[32])
{
    fr_sha256 h;
    fr_sha256_init(&h);
    fr_sha256_update(&h, method, strlen(method) + 1);
    int64_t head[3] = {shot->start, shot->end, count};
    fr_sha256_update(&h, head, sizeof head);
    size_t bytes = (size_t)refs->size * refs->size * 2;
    for (int i = first; i < first + count; i++) {
        fr_sha256_update(&h, &refs->r[i].frame, sizeof refs->r[i].frame);
        fr_sha256_update(&h, refs->r[i].chroma, bytes);
    }
    fr_sha256_final(&h, hash);
}
