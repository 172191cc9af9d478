/* muxer.c: fr_remux_mux in a thread, fed finished segments in order (muxer.h). */
#include "muxer.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fr_framemd5.h"
#include "fr_pktlist.h"

struct fr_muxer {
    char *input, *output, *store;
    fr_remux_opts opts;
    fr_tags tags;
    int64_t added, next;      /* rows [next, added) wait to be muxed */
    int32_t *frames;          /* per row added */
    uint8_t **bodies;         /* per row added: its part's body in memory, or NULL */
    size_t *body_len;
    int64_t rows_cap;
    int ended, abort, finished;
    int64_t muxed;
    /* the part being muxed */
    uint8_t *part;
    size_t part_len, pos;
    /* every frame's digest, in order, for the sidecar */
    uint8_t *digests;
    int64_t n_digests, digests_cap;
    fr_status status;
    fr_err err;
    pthread_t thread;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t changed;
};

void fr_muxer_part_path(const char *store, int64_t row, char *buf, size_t len)
{
    snprintf(buf, len, "%s.parts/%08lld.part", store, (long long)row);
}

fr_status fr_muxer_parts_dir(const char *store, fr_err *err)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s.parts", store);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return fr_err_set(err, FR_ERR_IO, "cannot make %s: %s", dir, strerror(errno));
    struct stat sb;
    if (lstat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return fr_err_set(err, FR_ERR_IO, "%s is not a folder", dir);
    return FR_OK;
}

/* Loads the next row's part file (waiting for it); FR_EOF after the last. */
static fr_status load_next(fr_muxer *m, fr_err *err)
{
    pthread_mutex_lock(&m->mu);
    while (!m->abort && m->next == m->added && !m->ended)
        pthread_cond_wait(&m->changed, &m->mu);
    int abort = m->abort, end = m->next == m->added;
    int64_t row = m->next;
    int32_t frames = end ? 0 : m->frames[row];
    uint8_t *body = end ? NULL : m->bodies[row];
    size_t body_len = end ? 0 : m->body_len[row];
    if (!end)
        m->bodies[row] = NULL;
    pthread_mutex_unlock(&m->mu);
    if (abort)
        return fr_err_set(err, FR_ERR_INTERRUPTED, "muxing stopped");
    if (end)
        return FR_EOF;
    char path[4300];
    fr_muxer_part_path(m->store, row, path, sizeof path);
    free(m->part);
    m->part = body;
    m->part_len = body_len;
    fr_status st = body ? FR_OK : fr_pktlist_load(path, &m->part, &m->part_len, err);
    if (st != FR_OK)
        return st;
    int64_t n = 0;
    if (m->part_len >= 8)
        memcpy(&n, m->part, 8);
    if (n != frames || m->part_len < 8 + 16 * (size_t)n || fr_pktlist_check(m->part + 8 + 16 * n, m->part_len - 8 - 16 * n) != n)
        return fr_err_set(err, FR_ERR_INPUT, "%s: holds %lld frames, the plan %d", path, (long long)n, frames);
    if (m->n_digests + n > m->digests_cap) {
        int64_t cap = m->digests_cap ? 2 * m->digests_cap : 1024;
        while (cap < m->n_digests + n)
            cap *= 2;
        uint8_t *d = realloc(m->digests, 16 * (size_t)cap);
        if (!d)
            return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        m->digests = d;
        m->digests_cap = cap;
    }
    memcpy(m->digests + 16 * m->n_digests, m->part + 8, 16 * (size_t)n);
    m->n_digests += n;
    m->pos = 8 + 16 * (size_t)n;
    pthread_mutex_lock(&m->mu);
    m->next++;
    pthread_mutex_unlock(&m->mu);
    return FR_OK;
}

static fr_status next_packet(void *ctx, fr_pkt *p, fr_err *err)
{
    fr_muxer *m = ctx;
    for (;;) {
        if (m->part) {
            int r = fr_pktlist_next(m->part, m->part_len, &m->pos, p);
            if (r == 1)
                return FR_OK;
            if (r < 0)
                return fr_err_set(err, FR_ERR_INPUT, "a part file's packets are malformed");
        }
        fr_status st = load_next(m, err);
        if (st != FR_OK)
            return st;
    }
}

static void on_progress(void *ctx, int64_t done)
{
    fr_muxer *m = ctx;
    pthread_mutex_lock(&m->mu);
    m->muxed = done;
    pthread_mutex_unlock(&m->mu);
}

static void *run(void *arg)
{
    fr_muxer *m = arg;
    fr_err err = {0};
    fr_mux_source src = {next_packet, m};
    fr_status st = fr_remux_mux(m->input, m->output, &m->opts, &src, &err);
    if (st == FR_OK && fr_remux_has_sidecar(m->output))
        st = fr_framemd5_sidecar_digests(m->output, m->digests, m->n_digests, &err);
    pthread_mutex_lock(&m->mu);
    m->status = st;
    m->err = err;
    m->finished = 1;
    pthread_cond_broadcast(&m->changed);
    pthread_mutex_unlock(&m->mu);
    return NULL;
}

fr_status fr_muxer_start(fr_muxer **out, const char *input, const char *output, fr_codec codec, const fr_tags *tags,
                         const char *store, fr_err *err)
{
    *out = NULL;
    fr_muxer *m = calloc(1, sizeof *m);
    if (!m)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    m->input = strdup(input);
    m->output = strdup(output);
    m->store = strdup(store);
    pthread_mutex_init(&m->mu, NULL);
    pthread_cond_init(&m->changed, NULL);
    if (!m->input || !m->output || !m->store) {
        fr_muxer_free(m);
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    }
    if (tags)
        m->tags = *tags;
    m->opts = (fr_remux_opts){.codec = codec, .progress = on_progress, .progress_ctx = m, .tags = &m->tags};
    if (pthread_create(&m->thread, NULL, run, m) != 0) {
        fr_muxer_free(m);
        return fr_err_set(err, FR_ERR_INTERNAL, "cannot start the mux thread");
    }
    m->started = 1;
    *out = m;
    return FR_OK;
}

void fr_muxer_add(fr_muxer *m, int64_t row, int32_t frames, uint8_t *body, size_t len)
{
    pthread_mutex_lock(&m->mu);
    if (row == m->added && m->added == m->rows_cap) {
        int64_t cap = m->rows_cap ? 2 * m->rows_cap : 256;
        int32_t *f = realloc(m->frames, sizeof *f * (size_t)cap);
        uint8_t **b = f ? realloc(m->bodies, sizeof *b * (size_t)cap) : NULL;
        size_t *l = b ? realloc(m->body_len, sizeof *l * (size_t)cap) : NULL;
        if (f)
            m->frames = f;
        if (b)
            m->bodies = b;
        if (l) {
            m->body_len = l;
            m->rows_cap = cap;
        }
    }
    if (row == m->added && m->added < m->rows_cap) {
        m->bodies[m->added] = body;
        m->body_len[m->added] = len;
        m->frames[m->added++] = frames;
        body = NULL;
    } else {
        m->abort = 1; /* out of order, or out of memory: the muxer reports it */
    }
    pthread_cond_broadcast(&m->changed);
    pthread_mutex_unlock(&m->mu);
    free(body);
}

void fr_muxer_end(fr_muxer *m)
{
    pthread_mutex_lock(&m->mu);
    m->ended = 1;
    pthread_cond_broadcast(&m->changed);
    pthread_mutex_unlock(&m->mu);
}

int fr_muxer_finished(fr_muxer *m)
{
    pthread_mutex_lock(&m->mu);
    int f = m->finished;
    pthread_mutex_unlock(&m->mu);
    return f;
}

int64_t fr_muxer_frames_done(fr_muxer *m)
{
    pthread_mutex_lock(&m->mu);
    int64_t n = m->muxed;
    pthread_mutex_unlock(&m->mu);
    return n;
}

fr_status fr_muxer_finish(fr_muxer *m, fr_err *err)
{
    if (m->started) {
        pthread_join(m->thread, NULL);
        m->started = 0;
    }
    if (m->status != FR_OK && err)
        *err = m->err;
    return m->status;
}

void fr_muxer_free(fr_muxer *m)
{
    if (!m)
        return;
    if (m->started) {
        pthread_mutex_lock(&m->mu);
        m->abort = 1;
        pthread_cond_broadcast(&m->changed);
        pthread_mutex_unlock(&m->mu);
        pthread_join(m->thread, NULL);
    }
    pthread_mutex_destroy(&m->mu);
    pthread_cond_destroy(&m->changed);
    for (int64_t i = m->next; i < m->added; i++)
        free(m->bodies[i]);
    free(m->frames);
    free(m->bodies);
    free(m->body_len);
    free(m->part);
    free(m->digests);
    free(m->input);
    free(m->output);
    free(m->store);
    free(m);
}
