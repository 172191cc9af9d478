/* planner.c: the timeline thread, shot detection over the nodes' features, and the
 * segment plan (planner.h). */
#include "planner.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/rational.h>

#include "fr_log.h"
#include "fr_shots_feat.h"
#include "fr_video_in.h"

/* A chunk handed out for its features, until they are decided. */
typedef struct {
    int64_t id, start;  /* timeline index of its first frame */
    int count;
    int64_t *pts;
    uint8_t *records;   /* the nodes' answer (NULL until it comes) */
    int gw, gh;
} chunk;

typedef struct {
    fr_plan_event *ev;
    int cap, head, len;
} event_queue;

struct fr_planner {
    char *input;
    int batch_size, queue_len, chunk_frames, ahead, tolerate;
    fr_shots_opts shots_opts;
    pthread_t thread;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t changed;
    event_queue q;
    int stop;       /* set by the consumer to end the thread early */
    int batches_queued;
    chunk *chunks;  /* ring of `ahead` chunks, by id */
    int64_t chunks_out, chunks_done;
    /* thread-private state */
    int64_t *pend_pts;   /* ring of frames not yet in a segment */
    int pend_cap;
    int64_t pend_first, pend_end; /* frames [pend_first, pend_end) wait */
    fr_shot_boundary *bounds;     /* boundaries popped but not yet applied */
    int n_bounds, bounds_cap;
    int64_t shot_start;
    int32_t shot_index, shot_transition;
    float shot_confidence;        /* of the boundary that opened the shot in progress */
    fr_loss *tl_losses;  /* the timeline's losses, by timeline index, until decided */
    int64_t n_tl_losses, tl_losses_seen, tl_losses_done;
    int64_t dropped;     /* corrupt frames dropped so far: final index = timeline index - dropped */
    AVRational tb;
    fr_thumb th;
};

void fr_shots_opts_format(const fr_shots_opts *o, char *buf, size_t len)
{
    snprintf(buf, len, "detector=%d,grid=%d,cut=%g/%g/%d,flash=%d/%g,flat=%g,gradual=%g/%g/%g/%d,min_shot=%d",
             o->detector, o->grid, o->cut_threshold, o->cut_ratio, o->cut_neighbours, o->flash_frames,
             o->flash_ratio, o->flat_sigma, o->gradual_threshold, o->blend_gain, o->blend_dip,
             o->gradual_span, o->min_shot);
}

/* Queues an event; waits while the queue holds queue_len batches. 0 when stopped. */
static int emit(fr_planner *p, const fr_plan_event *ev)
{
    pthread_mutex_lock(&p->mu);
    while (!p->stop && ev->kind == FR_PLAN_BATCH && p->batches_queued >= p->queue_len)
        pthread_cond_wait(&p->changed, &p->mu);
    int ok = !p->stop;
    if (ok && p->q.len == p->q.cap) {
        int cap = p->q.cap ? 2 * p->q.cap : 16;
        fr_plan_event *e = malloc(sizeof *e * (size_t)cap);
        if (!e) {
            ok = 0;
        } else {
            for (int i = 0; i < p->q.len; i++)
                e[i] = p->q.ev[(p->q.head + i) % p->q.cap];
            free(p->q.ev);
            p->q.ev = e;
            p->q.head = 0;
            p->q.cap = cap;
        }
    }
    if (ok) {
        p->q.ev[(p->q.head + p->q.len) % p->q.cap] = *ev;
        p->q.len++;
        if (ev->kind == FR_PLAN_BATCH)
            p->batches_queued++;
        pthread_cond_broadcast(&p->changed);
    }
    pthread_mutex_unlock(&p->mu);
    return ok;
}

static void emit_error(fr_planner *p, const fr_err *err)
{
    fr_plan_event ev = {.kind = FR_PLAN_ERROR};
    ev.err = *err;
    emit(p, &ev);
}

/* Cuts waiting frames [pend_first, e) into one batch event. */
static int emit_batch(fr_planner *p, int64_t e)
{
    int n = (int)(e - p->pend_first);
    fr_plan_event ev = {.kind = FR_PLAN_BATCH};
    ev.batch = (fr_batch){p->pend_first, n, p->shot_index};
    ev.pts = malloc(sizeof(int64_t) * (size_t)n);
    if (!ev.pts) {
        fr_plan_event_release(&ev);
        fr_err err;
        fr_err_set(&err, FR_ERR_NOMEM, "planner: out of memory");
        emit_error(p, &err);
        return 0;
    }
    for (int i = 0; i < n; i++) {
        ev.pts[i] = p->pend_pts[(p->pend_first + i) % p->pend_cap];
    }
    p->pend_first = e;
    if (!emit(p, &ev)) {
        fr_plan_event_release(&ev);
        return 0;
    }
    return 1;
}

static int close_shot(fr_planner *p, int64_t end, int32_t next_transition, float next_confidence)
{
    if (end <= p->shot_start)
        return 1;
    fr_plan_event ev = {.kind = FR_PLAN_SHOT};
    ev.shot = (fr_shot){p->shot_start, end, p->shot_transition, p->shot_confidence};
    p->shot_start = end;
    p->shot_index++;
    p->shot_transition = next_transition;
    p->shot_confidence = next_confidence;
    return emit(p, &ev);
}

/* Emits every batch whose frames and boundaries are settled: frames < limit.
 * At the end of the film (final), the last batch of the last shot may be short. */
static int settle(fr_planner *p, int64_t limit, int final)
{
    for (;;) {
        int64_t a = p->pend_first;
        int64_t shot_end = p->n_bounds ? p->bounds[0].frame : INT64_MAX;
        if (p->n_bounds && shot_end <= a) { /* a boundary right at a batch's end */
            if (!close_shot(p, a, p->bounds[0].kind == FR_SHOT_GRADUAL ? 2 : 1, p->bounds[0].confidence))
                return 0;
            memmove(p->bounds, p->bounds + 1, sizeof *p->bounds * (size_t)--p->n_bounds);
            continue;
        }
        int64_t since = a - p->shot_start;
        int64_t e = a + (p->batch_size - since % p->batch_size);
        if (e > shot_end)
            e = shot_end;
        if (final && e > p->pend_end)
            e = p->pend_end;
        if (e > limit || e > p->pend_end || e <= a)
            return 1;
        if (!emit_batch(p, e))
            return 0;
    }
}

static int add_bound(fr_planner *p, const fr_shot_boundary *b)
{
    if (p->n_bounds == p->bounds_cap) {
        int cap = p->bounds_cap ? 2 * p->bounds_cap : 8;
        fr_shot_boundary *nb = realloc(p->bounds, sizeof *nb * (size_t)cap);
        if (!nb)
            return 0;
        p->bounds = nb;
        p->bounds_cap = cap;
    }
    p->bounds[p->n_bounds++] = *b;
    return 1;
}

/* Copies the reader's new losses (timeline indices) to be emitted as decisions reach them. */
static int collect_losses(fr_planner *p, const fr_video_in *in)
{
    int64_t n;
    const fr_loss *l = fr_video_in_losses(in, &n);
    if (n > p->n_tl_losses) {
        fr_loss *c = realloc(p->tl_losses, sizeof *c * (size_t)n);
        if (!c)
            return 0;
        p->tl_losses = c;
        memcpy(c + p->n_tl_losses, l + p->n_tl_losses, sizeof *c * (size_t)(n - p->n_tl_losses));
        p->n_tl_losses = n;
    }
    return 1;
}

/* Emits the timeline's losses that come before timeline frame t (all: t < 0), numbered as
 * final frames. 0 when stopped. */
static int emit_losses_before(fr_planner *p, int64_t t)
{
    for (; p->tl_losses_done < p->n_tl_losses; p->tl_losses_done++) {
        fr_loss l = p->tl_losses[p->tl_losses_done];
        if (t >= 0 && l.after_frame + 1 > t)
            break;
        l.after_frame = p->pend_end - 1; /* the last frame kept before it */
        fr_plan_event ev = {.kind = FR_PLAN_DAMAGE, .loss = l};
        if (!emit(p, &ev))
            return 0;
    }
    return 1;
}

/* Hands a chunk of the timeline out for its features. 0 when stopped. */
static int emit_chunk(fr_planner *p, int64_t start, const int64_t *pts, int n)
{
    chunk *c = &p->chunks[p->chunks_out % p->ahead];
    fr_plan_event ev = {.kind = FR_PLAN_CHUNK, .chunk_id = p->chunks_out, .chunk_start = start, .chunk_count = n};
    ev.pts = malloc(sizeof *ev.pts * (size_t)n);
    int64_t *mine = malloc(sizeof *mine * (size_t)n);
    if (!ev.pts || !mine) {
        free(ev.pts);
        free(mine);
        return 0;
    }
    memcpy(ev.pts, pts, sizeof *pts * (size_t)n);
    memcpy(mine, pts, sizeof *pts * (size_t)n);
    pthread_mutex_lock(&p->mu);
    *c = (chunk){.id = p->chunks_out, .start = start, .count = n, .pts = mine};
    p->chunks_out++;
    pthread_mutex_unlock(&p->mu);
    if (!emit(p, &ev)) {
        fr_plan_event_release(&ev);
        return 0;
    }
    return 1;
}

/* Waits for the oldest chunk's features, then decides its frames in order: a corrupt
 * frame is an error or, tolerated, a loss; every other goes to the detector and the plan.
 * FR_EOF when stopped. */
static fr_status decide_chunk(fr_planner *p, fr_shots *det, int lag, fr_err *err)
{
    chunk *c = &p->chunks[p->chunks_done % p->ahead];
    pthread_mutex_lock(&p->mu);
    while (!p->stop && !c->records)
        pthread_cond_wait(&p->changed, &p->mu);
    int stop = p->stop;
    pthread_mutex_unlock(&p->mu);
    if (stop)
        return FR_EOF;
    fr_status st = FR_OK;
    if (!p->th.z && (st = fr_thumb_alloc(&p->th, c->gw, c->gh, err)) != FR_OK)
        return st;
    size_t rec = sizeof(int32_t) + fr_thumb_bytes(c->gw, c->gh);
    fr_shot_boundary b;
    for (int i = 0; i < c->count && st == FR_OK; i++) {
        int64_t t = c->start + i;
        if (!emit_losses_before(p, t))
            return FR_EOF;
        int32_t corrupt;
        memcpy(&corrupt, c->records + rec * (size_t)i, sizeof corrupt);
        double at = (double)c->pts[i] * av_q2d(p->tb);
        if (corrupt && !p->tolerate)
            return fr_err_set(err, FR_ERR_INPUT, "%s: corrupt video at frame %lld (--tolerate-damage drops such frames)",
                              p->input, (long long)p->pend_end);
        if (corrupt) {
            fr_plan_event ev = {.kind = FR_PLAN_DAMAGE};
            ev.loss = (fr_loss){.after_frame = p->pend_end - 1, .missing = 1, .at = at};
            snprintf(ev.loss.reason, sizeof ev.loss.reason, "corrupt frame");
            fr_warn("input", "%s: dropped a corrupt frame after frame %lld (--tolerate-damage)", p->input,
                    (long long)p->pend_end - 1);
            p->dropped++;
            if (!emit(p, &ev))
                return FR_EOF;
            continue;
        }
        if ((st = fr_thumb_unpack(c->records + rec * (size_t)i + sizeof corrupt, c->gw, c->gh, &p->th, err)) != FR_OK)
            break;
        int64_t f = p->pend_end;
        if (f - p->pend_first >= p->pend_cap)
            return fr_err_set(err, FR_ERR_INTERNAL, "planner: more than %d frames waiting", p->pend_cap);
        if ((st = fr_shots_push_thumb(det, &p->th, c->gw, c->gh, f, err)) != FR_OK)
            break;
        p->pend_pts[f % p->pend_cap] = c->pts[i];
        p->pend_end = f + 1;
        while (fr_shots_pop(det, &b))
            if (!add_bound(p, &b))
                return fr_err_set(err, FR_ERR_NOMEM, "planner: out of memory");
        if (!settle(p, f + 1 - lag, 0))
            return FR_EOF;
    }
    pthread_mutex_lock(&p->mu);
    free(c->pts);
    free(c->records);
    c->pts = NULL;
    c->records = NULL;
    p->chunks_done++;
    pthread_mutex_unlock(&p->mu);
    return st;
}

static void *run(void *arg)
{
    fr_planner *p = arg;
    fr_err err = {0};
    fr_video_in *in = NULL;
    fr_shots *det = NULL;
    int64_t *pts = malloc(sizeof *pts * (size_t)p->chunk_frames);
    fr_status st;
    if (!pts) {
        st = fr_err_set(&err, FR_ERR_NOMEM, "planner: out of memory");
        goto fail;
    }
    if ((st = fr_video_in_open_timeline(&in, p->input, &err)) != FR_OK || (st = fr_shots_new(&det, &p->shots_opts, &err)) != FR_OK)
        goto fail;
    p->tb = fr_video_in_info(in)->time_base;
    int lag = fr_shots_lag(det);
    p->pend_cap = p->batch_size + lag + 2;
    p->pend_pts = malloc(sizeof(int64_t) * (size_t)p->pend_cap);
    if (!p->pend_pts) {
        st = fr_err_set(&err, FR_ERR_NOMEM, "planner: out of memory");
        goto fail;
    }
    fr_frame f;
    int n = 0;
    int64_t start = 0;
    while ((st = fr_video_in_read(in, &f, &err)) == FR_OK) {
        if (!collect_losses(p, in))
            goto nomem;
        if (!n)
            start = f.index;
        pts[n++] = f.pts;
        if (n < p->chunk_frames)
            continue;
        if (!emit_chunk(p, start, pts, n))
            goto out;
        n = 0;
        while (p->chunks_out - p->chunks_done >= p->ahead)
            if ((st = decide_chunk(p, det, lag, &err)) != FR_OK)
                goto ended;
    }
    if (st != FR_EOF)
        goto fail;
    if (!collect_losses(p, in))
        goto nomem;
    if (n && !emit_chunk(p, start, pts, n))
        goto out;
    while (p->chunks_done < p->chunks_out)
        if ((st = decide_chunk(p, det, lag, &err)) != FR_OK)
            goto ended;
    if (!emit_losses_before(p, -1))
        goto out;
    if ((st = fr_shots_finish(det, &err)) != FR_OK)
        goto fail;
    fr_shot_boundary b;
    while (fr_shots_pop(det, &b))
        if (!add_bound(p, &b))
            goto nomem;
    if (!settle(p, p->pend_end, 1) || !close_shot(p, p->pend_end, 0, 1.0f))
        goto out;
    fr_plan_event end = {.kind = FR_PLAN_END, .frames = p->pend_end};
    emit(p, &end);
    goto out;
ended:
    if (st == FR_EOF) /* stopped */
        goto out;
    goto fail;
nomem:
    fr_err_set(&err, FR_ERR_NOMEM, "planner: out of memory");
fail:
    emit_error(p, &err);
out:
    free(pts);
    fr_shots_free(det);
    fr_video_in_free(in);
    return NULL;
}

fr_status fr_planner_give_features(fr_planner *p, int64_t id, const uint8_t *records, size_t len, int gw, int gh,
                                   fr_err *err)
{
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    memcpy(copy, records, len);
    pthread_mutex_lock(&p->mu);
    chunk *c = &p->chunks[id % p->ahead];
    fr_status st = FR_OK;
    if (c->id != id || c->records || id < p->chunks_done || id >= p->chunks_out)
        st = fr_err_set(err, FR_ERR_INTERNAL, "features of chunk %lld came out of turn", (long long)id);
    else if (len != (sizeof(int32_t) + fr_thumb_bytes(gw, gh)) * (size_t)c->count)
        st = fr_err_set(err, FR_ERR_MPI, "features of chunk %lld: %zu bytes for %d frames", (long long)id, len, c->count);
    if (st == FR_OK) {
        c->records = copy;
        c->gw = gw;
        c->gh = gh;
        copy = NULL;
        pthread_cond_broadcast(&p->changed);
    }
    pthread_mutex_unlock(&p->mu);
    free(copy);
    return st;
}

fr_status fr_planner_start(fr_planner **out, const char *input, int batch_size,
                           const fr_shots_opts *shots, int queue_len, int chunk_frames, int ahead, int tolerate,
                           fr_err *err)
{
    *out = NULL;
    fr_planner *p = calloc(1, sizeof *p);
    if (!p || !(p->input = strdup(input))) {
        free(p);
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    }
    p->batch_size = batch_size;
    p->queue_len = queue_len > 0 ? queue_len : 1;
    p->chunk_frames = chunk_frames > 0 ? chunk_frames : 1;
    p->ahead = ahead > 0 ? ahead : 1;
    p->tolerate = tolerate;
    p->chunks = calloc((size_t)p->ahead, sizeof *p->chunks);
    if (!p->chunks) {
        free(p->input);
        free(p);
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    }
    if (shots)
        p->shots_opts = *shots;
    else
        fr_shots_defaults(&p->shots_opts);
    p->shot_confidence = 1.0f; /* the first shot opens the film */
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->changed, NULL);
    if (pthread_create(&p->thread, NULL, run, p) != 0) {
        fr_planner_free(p);
        return fr_err_set(err, FR_ERR_INTERNAL, "cannot start the decode thread");
    }
    p->started = 1;
    *out = p;
    return FR_OK;
}

static int take(fr_planner *p, fr_plan_event *ev, int wait)
{
    pthread_mutex_lock(&p->mu);
    while (wait && p->q.len == 0)
        pthread_cond_wait(&p->changed, &p->mu);
    int got = p->q.len > 0;
    if (got) {
        *ev = p->q.ev[p->q.head];
        p->q.head = (p->q.head + 1) % p->q.cap;
        p->q.len--;
        if (ev->kind == FR_PLAN_BATCH)
            p->batches_queued--;
        pthread_cond_broadcast(&p->changed);
    }
    pthread_mutex_unlock(&p->mu);
    return got;
}

void fr_planner_next(fr_planner *p, fr_plan_event *ev) { take(p, ev, 1); }
int fr_planner_try_next(fr_planner *p, fr_plan_event *ev) { return take(p, ev, 0); }

void fr_plan_event_release(fr_plan_event *ev)
{
    free(ev->pts);
    ev->pts = NULL;
}

void fr_planner_free(fr_planner *p)
{
    if (!p)
        return;
    if (p->started) {
        pthread_mutex_lock(&p->mu);
        p->stop = 1;
        pthread_cond_broadcast(&p->changed);
        pthread_mutex_unlock(&p->mu);
        pthread_join(p->thread, NULL);
    }
    for (int i = 0; i < p->q.len; i++)
        fr_plan_event_release(&p->q.ev[(p->q.head + i) % p->q.cap]);
    free(p->q.ev);
    free(p->pend_pts);
    free(p->bounds);
    for (int i = 0; i < p->ahead; i++) {
        free(p->chunks[i].pts);
        free(p->chunks[i].records);
    }
    free(p->chunks);
    free(p->tl_losses);
    fr_thumb_release(&p->th);
    free(p->input);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->changed);
    free(p);
}
