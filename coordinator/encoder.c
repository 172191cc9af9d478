/* encoder.c: fr_remux in a thread, fed in frame order (encoder.h). */
#include "encoder.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct fr_encoder {
    char *input, *output;
    fr_remux_opts opts;
    fr_tags tags;
    int size, cap;           /* frames the ring holds */
    uint8_t *ring;           /* cap frames of size*size*2 */
    int64_t fed, used;       /* frames [used, fed) wait in the ring */
    int64_t total;           /* -1 until fr_encoder_end */
    int64_t encoded;
    int abort, finished;
    fr_status status;
    fr_err err;
    pthread_t thread;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t changed;
};

static fr_status next_chroma(void *ctx, const fr_frame *f, uint8_t *chroma, fr_err *err)
{
    fr_encoder *e = ctx;
    size_t frame = (size_t)e->size * e->size * 2;
    pthread_mutex_lock(&e->mu);
    while (!e->abort && f->index >= e->fed && (e->total < 0 || f->index < e->total))
        pthread_cond_wait(&e->changed, &e->mu);
    fr_status st = FR_OK;
    if (e->abort) {
        st = fr_err_set(err, FR_ERR_INTERRUPTED, "encoding stopped");
    } else if (f->index >= e->fed || f->index != e->used) {
        st = fr_err_set(err, FR_ERR_MISMATCH, "the source has more frames than the store (%lld)", (long long)e->total);
    } else {
        memcpy(chroma, e->ring + frame * (size_t)(f->index % e->cap), frame);
        e->used++;
        pthread_cond_broadcast(&e->changed);
    }
    pthread_mutex_unlock(&e->mu);
    return st;
}

static void on_progress(void *ctx, int64_t done)
{
    fr_encoder *e = ctx;
    pthread_mutex_lock(&e->mu);
    e->encoded = done;
    pthread_mutex_unlock(&e->mu);
}

static void *run(void *arg)
{
    fr_encoder *e = arg;
    fr_err err = {0};
    fr_status st = fr_remux(e->input, e->output, &e->opts, &err);
    if (st == FR_OK && e->total >= 0 && e->encoded != e->total)
        st = fr_err_set(&err, FR_ERR_MISMATCH, "the source has %lld frames, the store %lld", (long long)e->encoded, (long long)e->total);
    pthread_mutex_lock(&e->mu);
    e->status = st;
    e->err = err;
    e->finished = 1;
    pthread_cond_broadcast(&e->changed);
    pthread_mutex_unlock(&e->mu);
    return NULL;
}

fr_status fr_encoder_start(fr_encoder **out, const char *input, const char *output, fr_codec codec,
                           int size, int buffer_frames, const fr_tags *tags, fr_err *err)
{
    *out = NULL;
    fr_encoder *e = calloc(1, sizeof *e);
    if (!e)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    e->size = size;
    e->cap = buffer_frames > 0 ? buffer_frames : 1;
    e->total = -1;
    e->input = strdup(input);
    e->output = strdup(output);
    e->ring = malloc((size_t)size * size * 2 * (size_t)e->cap);
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->changed, NULL);
    if (!e->input || !e->output || !e->ring) {
        fr_encoder_free(e);
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    }
    if (tags)
        e->tags = *tags;
    e->opts = (fr_remux_opts){.codec = codec, .chroma_size = size, .chroma = next_chroma,
                              .chroma_ctx = e, .progress = on_progress, .progress_ctx = e, .tags = &e->tags};
    if (pthread_create(&e->thread, NULL, run, e) != 0) {
        fr_encoder_free(e);
        return fr_err_set(err, FR_ERR_INTERNAL, "cannot start the encode thread");
    }
    e->started = 1;
    *out = e;
    return FR_OK;
}

int fr_encoder_room(fr_encoder *e)
{
    pthread_mutex_lock(&e->mu);
    int room = e->cap - (int)(e->fed - e->used);
    pthread_mutex_unlock(&e->mu);
    return room;
}

fr_status fr_encoder_feed(fr_encoder *e, int64_t first, int n, const uint8_t *chroma, fr_err *err)
{
    size_t frame = (size_t)e->size * e->size * 2;
    pthread_mutex_lock(&e->mu);
    fr_status st = FR_OK;
    if (first != e->fed || n > e->cap - (int)(e->fed - e->used)) {
        st = fr_err_set(err, FR_ERR_INTERNAL, "encoder fed frames %lld..%lld out of order", (long long)first, (long long)(first + n));
    } else {
        for (int i = 0; i < n; i++)
            memcpy(e->ring + frame * (size_t)((first + i) % e->cap), chroma + frame * (size_t)i, frame);
        e->fed += n;
        pthread_cond_broadcast(&e->changed);
    }
    pthread_mutex_unlock(&e->mu);
    return st;
}

void fr_encoder_end(fr_encoder *e, int64_t frames)
{
    pthread_mutex_lock(&e->mu);
    e->total = frames;
    pthread_cond_broadcast(&e->changed);
    pthread_mutex_unlock(&e->mu);
}

int fr_encoder_finished(fr_encoder *e)
{
    pthread_mutex_lock(&e->mu);
    int f = e->finished;
    pthread_mutex_unlock(&e->mu);
    return f;
}

int64_t fr_encoder_frames_done(fr_encoder *e)
{
    pthread_mutex_lock(&e->mu);
    int64_t n = e->encoded;
    pthread_mutex_unlock(&e->mu);
    return n;
}

fr_status fr_encoder_finish(fr_encoder *e, fr_err *err)
{
    if (e->started) {
        pthread_join(e->thread, NULL);
        e->started = 0;
    }
    if (e->status != FR_OK && err)
        *err = e->err;
    return e->status;
}

void fr_encoder_free(fr_encoder *e)
{
    if (!e)
        return;
    if (e->started) {
        pthread_mutex_lock(&e->mu);
        e->abort = 1;
        pthread_cond_broadcast(&e->changed);
        pthread_mutex_unlock(&e->mu);
        pthread_join(e->thread, NULL);
    }
    pthread_mutex_destroy(&e->mu);
    pthread_cond_destroy(&e->changed);
    free(e->ring);
    free(e->input);
    free(e->output);
    free(e);
}
