/* planner.c: decode-ahead thread, shot detection and the batch plan (planner.h). */
#include "planner.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_video_in.h"

typedef struct {
    fr_plan_event *ev;
    int cap, head, len;
} event_queue;

struct fr_planner {
    char *input;
    int batch_size, queue_len;
    fr_shots_opts shots_opts;
    pthread_t thread;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t changed;
    event_queue q;
    int stop;       /* set by the consumer to end the thread early */
    int batches_queued;
    /* thread-private state */
    int64_t *pend_pts;   /* ring of frames not yet in a segment */
    int pend_cap;
    int64_t pend_first, pend_end; /* frames [pend_first, pend_end) wait */
    fr_shot_boundary *bounds;     /* boundaries popped but not yet applied */
    int n_bounds, bounds_cap;
    int64_t shot_start;
    int32_t shot_index, shot_transition;
};

void fr_shots_opts_format(const fr_shots_opts *o, char *buf, size_t len)
{
    snprintf(buf, len, "grid=%d,cut=%g/%g/%d,flash=%d/%g,flat=%g,gradual=%g/%g/%g/%d,min_shot=%d",
             o->grid, o->cut_threshold, o->cut_ratio, o->cut_neighbours, o->flash_frames,
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

static int close_shot(fr_planner *p, int64_t end, int32_t next_transition)
{
    if (end <= p->shot_start)
        return 1;
    fr_plan_event ev = {.kind = FR_PLAN_SHOT};
    ev.shot = (fr_shot){p->shot_start, end, p->shot_transition};
    p->shot_start = end;
    p->shot_index++;
    p->shot_transition = next_transition;
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
            if (!close_shot(p, a, p->bounds[0].kind == FR_SHOT_GRADUAL ? 2 : 1))
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

/* Emits the reader's losses not yet emitted, from *seen on. 0 when stopped. */
static int emit_losses(fr_planner *p, const fr_video_in *in, int64_t *seen)
{
    int64_t n;
    const fr_loss *l = fr_video_in_losses(in, &n);
    for (; *seen < n; ++*seen) {
        fr_plan_event ev = {.kind = FR_PLAN_DAMAGE, .loss = l[*seen]};
        if (!emit(p, &ev))
            return 0;
    }
    return 1;
}

static void *run(void *arg)
{
    fr_planner *p = arg;
    fr_err err = {0};
    fr_video_in *in = NULL;
    fr_shots *det = NULL;
    fr_status st;
    if ((st = fr_video_in_open(&in, p->input, &err)) != FR_OK || (st = fr_shots_new(&det, &p->shots_opts, &err)) != FR_OK)
        goto fail;
    int lag = fr_shots_lag(det);
    p->pend_cap = p->batch_size + lag + 2;
    p->pend_pts = malloc(sizeof(int64_t) * (size_t)p->pend_cap);
    if (!p->pend_pts) {
        st = fr_err_set(&err, FR_ERR_NOMEM, "planner: out of memory");
        goto fail;
    }
    fr_frame f;
    fr_shot_boundary b;
    int64_t losses = 0;
    while ((st = fr_video_in_read(in, &f, &err)) == FR_OK) {
        if (!emit_losses(p, in, &losses))
            goto out;
        if (p->pend_end - p->pend_first >= p->pend_cap) {
            st = fr_err_set(&err, FR_ERR_INTERNAL, "planner: more than %d frames waiting", p->pend_cap);
            goto fail;
        }
        int slot = (int)(f.index % p->pend_cap);
        if ((st = fr_shots_push(det, &f.luma, f.index, &err)) != FR_OK)
            goto fail;
        p->pend_pts[slot] = f.pts;
        p->pend_end = f.index + 1;
        while (fr_shots_pop(det, &b))
            if (!add_bound(p, &b))
                goto nomem;
        if (!settle(p, f.index + 1 - lag, 0))
            goto out;
    }
    if (st != FR_EOF)
        goto fail;
    if (!emit_losses(p, in, &losses))
        goto out;
    if ((st = fr_shots_finish(det, &err)) != FR_OK)
        goto fail;
    while (fr_shots_pop(det, &b))
        if (!add_bound(p, &b))
            goto nomem;
    if (!settle(p, p->pend_end, 1) || !close_shot(p, p->pend_end, 0))
        goto out;
    fr_plan_event end = {.kind = FR_PLAN_END, .frames = p->pend_end};
    emit(p, &end);
    goto out;
nomem:
    fr_err_set(&err, FR_ERR_NOMEM, "planner: out of memory");
fail:
    emit_error(p, &err);
out:
    fr_shots_free(det);
    fr_video_in_free(in);
    return NULL;
}

fr_status fr_planner_start(fr_planner **out, const char *input, int batch_size,
                           const fr_shots_opts *shots, int queue_len, fr_err *err)
{
    *out = NULL;
    fr_planner *p = calloc(1, sizeof *p);
    if (!p || !(p->input = strdup(input))) {
        free(p);
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    }
    p->batch_size = batch_size;
    p->queue_len = queue_len > 0 ? queue_len : 1;
    if (shots)
        p->shots_opts = *shots;
    else
        fr_shots_defaults(&p->shots_opts);
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
    free(p->input);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->changed);
    free(p);
}
