/* pipeline.c: rank 0 of a distributed run (pipeline.h).
 *
 * One dispatcher serves both distributed stages: it keeps a list of idle
 * nodes, asks the stage for its next job whenever a node is idle, and hands
 * each RESULT back to the stage. Shots with a colourist's reference frames
 * (references.h) have a third stage, GUIDE, once their batches are final: the
 * whole shot goes to one node (guide.h) and its guided chroma is what the
 * encoder gets for it. A node that sends FAIL ends the run with its
 * message; the store keeps everything finished before. */
#include "pipeline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "encoder.h"
#include "schedule.h"
#include "fr_error_line.h"
#include "fr_host.h"
#include "fr_log.h"
#include "fr_remux.h"
#include "fr_store.h"
#include "fr_store_lock.h"
#include "fr_store_refs.h"
#include "guide.h"
#include "references.h"
#include "fr_video_in.h"
#include "fr_wire_parse.h"
#include "fr_launch_rank.h"
#include "planner.h"
#include "provenance.h"
#include "progress.h"
#include "smooth.h"
#include "fr_version.h"

typedef struct {
    fr_msg_header h;    /* h.type != 0 while the job is out */
    fr_plan_event ev;   /* colourise: the batch's frames, kept until its result is stored */
    uint8_t *window;    /* smooth: the window read from the store */
} job;

typedef struct {
    const fr_run_settings *s;
    fr_wire *w;
    fr_store *store;
    fr_store_lock *lock;     /* held from start-up to the end: one run per store */
    fr_progress *progress;
    fr_planner *planner;
    fr_schedule *sched;
    fr_encoder *enc;
    int size, nodes, smoothing;
    char store_path[1100];
    job *jobs;               /* [rank]: what each node is working on */
    int *idle, n_idle, n_busy;
    int64_t plan_shots, stored_batches, stored_shots;
    int64_t total_guess;      /* frames, from the container until the planner has seen them all */
    int planner_done, encoder_ended;
    uint8_t *chroma;         /* scratch: one batch of chroma for the encoder */
    int64_t colorized, colorize_skipped, smoothed, smooth_skipped;
    int64_t plan_losses, stored_losses; /* losses to damage seen by the planner, and in the store */
    char hosts[448];         /* "host (N ranks), ...": the run's provenance */
    fr_references *refs;     /* --references, NULL without */
    fr_store_refs *srefs;    /* the store's guided shots */
    uint8_t (*shot_hash)[32];/* per shot with references: the hash of its guidance */
    int64_t shot_hash_cap;
    int64_t guided, guide_skipped;
} run;

static void job_release(job *j)
{
    fr_plan_event_release(&j->ev);
    free(j->window);
    memset(j, 0, sizeof *j);
}

static size_t plane(const run *r) { return (size_t)r->size * r->size; }

static fr_status send_job(run *r, job *j, const void *payload, size_t len, fr_err *err)
{
    int rank = r->idle[--r->n_idle];
    j->h.type = FR_MSG_WORK;
    fr_status st = fr_wire_send(r->w, rank, &j->h, payload, len, NULL, 0, err);
    if (st != FR_OK) {
        job_release(j);
        return st;
    }
    r->jobs[rank] = *j;
    r->n_busy++;
    return FR_OK;
}

/* ---- colourise ----------------------------------------------------------------------------- */

static int same_batch(const fr_batch *a, const fr_batch *b)
{
    return a->start == b->start && a->count == b->count && a->shot == b->shot;
}

static fr_status on_shot(run *r, const fr_shot *shot, fr_err *err)
{
    int64_t k = r->plan_shots++;
    if (k < r->stored_shots) {
        fr_shot old;
        fr_status st = fr_store_shot(r->store, k, &old, err);
        if (st != FR_OK)
            return st;
        if (old.start != shot->start || old.end != shot->end)
            return fr_err_set(err, FR_ERR_MISMATCH, "store %s: shot %lld differs from the plan (source or detector changed)", r->store_path, (long long)k);
    } else {
        fr_status st = fr_store_add_shot(r->store, shot, err);
        if (st != FR_OK)
            return st;
    }
    fr_status st = fr_schedule_add_shot(r->sched, shot, err);
    int first = 0, n = st == FR_OK && r->refs ? fr_references_in(r->refs, shot->start, shot->end, &first) : 0;
    if (st != FR_OK || n == 0) /* not guided in this run: the store must not say it is (verify reads it) */
        return st != FR_OK ? st : fr_store_refs_unguide(r->srefs, k, err);
    if (k >= r->shot_hash_cap) {
        int64_t cap = r->shot_hash_cap ? 2 * r->shot_hash_cap : 64;
        while (cap <= k)
            cap *= 2;
        void *p = realloc(r->shot_hash, sizeof *r->shot_hash * (size_t)cap);
        if (!p)
            return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        r->shot_hash = p;
        r->shot_hash_cap = cap;
    }
    uint8_t stored[32];
    fr_references_hash(r->refs, first, n, shot, fr_guide_settings(), r->shot_hash[k]);
    if ((st = fr_store_refs_hash(r->srefs, k, stored, err)) != FR_OK)
        return st;
    int done = !memcmp(stored, r->shot_hash[k], 32);
    r->guide_skipped += done;
    fr_schedule_guide_shot(r->sched, k, done);
    return FR_OK;
}

/* A loss that --tolerate-damage let pass goes into /damage; a resumed run meets the same
 * losses again, and checks them against the stored rows. */
static fr_status on_loss(run *r, const fr_loss *loss, fr_err *err)
{
    int64_t k = r->plan_losses++;
    if (k >= r->stored_losses)
        return fr_store_add_loss(r->store, loss, err);
    fr_loss old;
    fr_status st = fr_store_get_loss(r->store, k, &old, err);
    if (st == FR_OK && (old.after_frame != loss->after_frame || old.missing != loss->missing))
        st = fr_err_set(err, FR_ERR_MISMATCH, "store %s: loss %lld differs from this read of the source (%lld frame(s) after frame %lld, stored %lld after %lld)",
                        r->store_path, (long long)k, (long long)loss->missing, (long long)loss->after_frame,
                        (long long)old.missing, (long long)old.after_frame);
    return st;
}

static fr_status on_end(run *r, int64_t frames, fr_err *err)
{
    int64_t known = fr_store_frame_count(r->store);
    if (known >= 0 && known != frames)
        return fr_err_set(err, FR_ERR_MISMATCH, "the source now has %lld frames, the store %lld", (long long)frames, (long long)known);
    if (r->refs) {
        fr_status st = fr_references_check_range(r->refs, frames, err);
        if (st != FR_OK)
            return st;
    }
    r->planner_done = 1;
    fr_schedule_end(r->sched, frames);
    return fr_store_set_frame_count(r->store, frames, err);
}

/* Consumes planner events until a batch goes to an idle node or none is ready. */
static fr_status feed_colorize(run *r, int *moved, fr_err *err)
{
    fr_plan_event ev;
    while (r->n_idle > 0 && !r->planner_done && fr_planner_try_next(r->planner, &ev)) {
        *moved = 1;
        fr_status st = FR_OK;
        if (ev.kind == FR_PLAN_ERROR) {
            *err = ev.err;
            return ev.err.code ? ev.err.code : FR_ERR_INPUT;
        }
        if (ev.kind == FR_PLAN_SHOT)
            st = on_shot(r, &ev.shot, err);
        else if (ev.kind == FR_PLAN_DAMAGE)
            st = on_loss(r, &ev.loss, err);
        else if (ev.kind == FR_PLAN_END)
            st = on_end(r, ev.frames, err);
        if (ev.kind != FR_PLAN_BATCH || st != FR_OK) {
            if (st != FR_OK)
                return st;
            continue;
        }
        int64_t row = fr_schedule_batches(r->sched);
        int done = 0, smoothed = 0;
        if (row < r->stored_batches) {
            fr_batch old;
            if ((st = fr_store_batch(r->store, row, &old, &done, &smoothed, err)) == FR_OK && !same_batch(&old, &ev.batch))
                st = fr_err_set(err, FR_ERR_MISMATCH, "store %s: batch %lld differs from the plan (source or detector changed)", r->store_path, (long long)row);
        } else {
            st = fr_store_add_batch(r->store, &ev.batch, err);
        }
        if (st == FR_OK)
            st = fr_schedule_add_batch(r->sched, &ev.batch, done, smoothed, err);
        if (st != FR_OK || done) {
            r->colorize_skipped += done;
            r->smooth_skipped += done && smoothed;
            fr_plan_event_release(&ev);
            if (st != FR_OK)
                return st;
            continue;
        }
        job j = {.ev = ev};
        j.h = (fr_msg_header){.job = FR_JOB_COLORIZE, .batch = row, .start = ev.batch.start,
                              .count = ev.batch.count, .size = r->size, .out_count = ev.batch.count};
        if ((st = send_job(r, &j, ev.gray, plane(r) * (size_t)ev.batch.count, err)) != FR_OK)
            return st;
    }
    return FR_OK;
}

static fr_status colorize_done(run *r, job *j, const fr_msg *m, fr_err *err)
{
    const fr_batch *b = &j->ev.batch;
    if (m->payload_len != plane(r) * 2 * (size_t)b->count)
        return fr_err_set(err, FR_ERR_MPI, "batch %lld: %zu bytes of chroma, expected %zu", (long long)j->h.batch, m->payload_len, plane(r) * 2 * (size_t)b->count);
    fr_status st = fr_store_write_frames(r->store, b->start, b->count, j->ev.pts, j->ev.gray, m->payload, err);
    if (st == FR_OK)
        st = fr_store_mark_done(r->store, j->h.batch, err);
    if (st == FR_OK) {
        fr_schedule_mark_done(r->sched, j->h.batch);
        r->colorized++;
    }
    return st;
}

/* ---- smooth -------------------------------------------------------------------------------- */

static fr_status feed_smooth(run *r, int *moved, fr_err *err)
{
    int64_t row, lo, hi;
    while (r->n_idle > 0 && fr_schedule_next_smooth(r->sched, &row, &lo, &hi)) {
        *moved = 1;
        const fr_batch *b = fr_schedule_batch(r->sched, row);
        int n = (int)(hi - lo);
        job j = {0};
        j.window = malloc(plane(r) * 3 * (size_t)n);
        if (!j.window)
            return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        fr_status st = fr_store_read_frames(r->store, lo, n, j.window, j.window + plane(r) * (size_t)n, err);
        if (st != FR_OK) {
            job_release(&j);
            return st;
        }
        j.h = (fr_msg_header){.job = FR_JOB_SMOOTH, .batch = row, .start = lo, .count = n, .size = r->size,
                              .out_first = (int32_t)(b->start - lo), .out_count = b->count};
        if ((st = send_job(r, &j, j.window, plane(r) * 3 * (size_t)n, err)) != FR_OK)
            return st;
    }
    return FR_OK;
}

static fr_status smooth_done(run *r, job *j, const fr_msg *m, fr_err *err)
{
    if (m->payload_len != plane(r) * 2 * (size_t)j->h.out_count)
        return fr_err_set(err, FR_ERR_MPI, "smoothing %lld: wrong result size", (long long)j->h.batch);
    fr_status st = fr_store_write_smoothed(r->store, j->h.start + j->h.out_first, j->h.out_count, m->payload, err);
    if (st == FR_OK)
        st = fr_store_mark_smoothed(r->store, j->h.batch, err);
    if (st == FR_OK) {
        fr_schedule_mark_smoothed(r->sched, j->h.batch);
        r->smoothed++;
    }
    return st;
}

/* ---- guide --------------------------------------------------------------------------------- */

/* A shot with references, once its batches are final: the whole shot and its references go to
 * one node (payload layout in node.c and docs/protocol.md). */
static fr_status feed_guide(run *r, int *moved, fr_err *err)
{
    int64_t k;
    while (r->n_idle > 0 && fr_schedule_next_guide(r->sched, &k)) {
        *moved = 1;
        const fr_shot *shot = fr_schedule_shot(r->sched, k);
        int first, nref = fr_references_in(r->refs, shot->start, shot->end, &first);
        int n = (int)(shot->end - shot->start);
        size_t px = plane(r), head = sizeof(int32_t) * (1 + (size_t)nref);
        size_t len = head + px * 3 * (size_t)n + px * 2 * (size_t)nref;
        if (len > (size_t)INT32_MAX - 4096) /* one MPI message: its count is an int */
            return fr_err_set(err, FR_ERR_ARG, "shot %lld (frames %lld-%lld) is too long to guide in one piece at render size %d "
                              "(at most about %zu frames): split it (a lower --cut-threshold) or drop its references",
                              (long long)k, (long long)shot->start, (long long)shot->end - 1, r->size,
                              ((size_t)INT32_MAX - 4096) / (px * 3));
        job j = {0};
        j.window = malloc(len);
        if (!j.window)
            return fr_err_set(err, FR_ERR_NOMEM, "out of memory for shot %lld (%d frames) and its references", (long long)k, n);
        int32_t count = nref;
        memcpy(j.window, &count, sizeof count);
        for (int i = 0; i < nref; i++) {
            int32_t at = (int32_t)(r->refs->r[first + i].frame - shot->start);
            memcpy(j.window + sizeof(int32_t) * (1 + (size_t)i), &at, sizeof at);
            memcpy(j.window + head + px * 3 * (size_t)n + px * 2 * (size_t)i, r->refs->r[first + i].chroma, px * 2);
        }
        uint8_t *gray = j.window + head, *chroma = gray + px * (size_t)n;
        fr_status st = fr_store_read_frames(r->store, shot->start, n, gray, r->smoothing ? NULL : chroma, err);
        if (st == FR_OK && r->smoothing)
            st = fr_store_read_smoothed(r->store, shot->start, n, chroma, err);
        if (st != FR_OK) {
            job_release(&j);
            return st;
        }
        j.h = (fr_msg_header){.job = FR_JOB_GUIDE, .batch = k, .start = shot->start, .count = n, .size = r->size,
                              .out_first = 0, .out_count = n};
        if ((st = send_job(r, &j, j.window, len, err)) != FR_OK)
            return st;
    }
    return FR_OK;
}

static fr_status guide_done(run *r, job *j, const fr_msg *m, fr_err *err)
{
    if (m->payload_len != plane(r) * 2 * (size_t)j->h.count)
        return fr_err_set(err, FR_ERR_MPI, "guide of shot %lld: wrong result size", (long long)j->h.batch);
    fr_status st = fr_store_refs_write(r->srefs, j->h.batch, j->h.start, j->h.count, m->payload,
                                       r->shot_hash[j->h.batch], err);
    if (st == FR_OK) {
        fr_schedule_mark_guided(r->sched, j->h.batch);
        r->guided++;
    }
    return st;
}

/* ---- encode -------------------------------------------------------------------------------- */

/* Hands the encoder every batch whose final chroma is ready, in order. */
static fr_status feed_encoder(run *r, int *moved, fr_err *err)
{
    int64_t row;
    while (fr_schedule_next_encode(r->sched, &row)) {
        const fr_batch *b = fr_schedule_batch(r->sched, row);
        if (fr_encoder_room(r->enc) < b->count)
            break;
        fr_status st = r->refs && fr_schedule_guided(r->sched, b->shot)
                           ? fr_store_refs_read(r->srefs, b->start, b->count, r->chroma, err)
                       : r->smoothing ? fr_store_read_smoothed(r->store, b->start, b->count, r->chroma, err)
                                      : fr_store_read_frames(r->store, b->start, b->count, NULL, r->chroma, err);
        if (st == FR_OK)
            st = fr_encoder_feed(r->enc, b->start, b->count, r->chroma, err);
        if (st != FR_OK)
            return st;
        fr_schedule_encoded(r->sched, row);
        *moved = 1;
    }
    if (!r->encoder_ended && fr_schedule_all_encoded(r->sched)) {
        fr_encoder_end(r->enc, fr_store_frame_count(r->store));
        r->encoder_ended = 1;
    }
    return FR_OK;
}

/* ---- the loop ------------------------------------------------------------------------------ */

static fr_status on_message(run *r, const fr_msg *m, fr_err *err)
{
    if (m->h.type == FR_MSG_FAIL) {
        job_release(&r->jobs[m->source]); /* it owes us nothing more */
        return fr_err_set(err, FR_ERR_BACKEND, "node %d: %.*s", m->source, (int)m->payload_len, (const char *)m->payload);
    }
    job *j = &r->jobs[m->source];
    if (m->h.type != FR_MSG_RESULT || !j->h.type || m->h.batch != j->h.batch || m->h.job != j->h.job)
        return fr_err_set(err, FR_ERR_MPI, "unexpected message %d from node %d", m->h.type, m->source);
    fr_status st = j->h.job == FR_JOB_COLORIZE ? colorize_done(r, j, m, err)
                   : j->h.job == FR_JOB_GUIDE  ? guide_done(r, j, m, err)
                                               : smooth_done(r, j, m, err);
    job_release(j);
    r->n_busy--;
    r->idle[r->n_idle++] = m->source;
    return st;
}

static fr_status stopped(run *r, fr_err *err)
{
    return fr_err_set(err, FR_ERR_INTERRUPTED, "stopped by a signal; store %s keeps %lld finished batches, rerun to resume",
                      r->store_path, (long long)(r->colorized + r->colorize_skipped));
}

static fr_status schedule_loop(run *r, fr_err *err)
{
    long nap = 20000;
    fr_status st = FR_OK;
    for (;;) {
        int moved = 0;
        if (fr_launch_stop_requested())
            return stopped(r, err);
        fr_msg m;
        while ((st = fr_wire_poll(r->w, FR_WIRE_ANY, &m, err)) == FR_OK) {
            moved = 1;
            if ((st = on_message(r, &m, err)) != FR_OK)
                return st;
        }
        if (st != FR_EOF)
            return st;
        /* Smoothing first: it unblocks the encoder and frees memory. */
        if ((st = feed_smooth(r, &moved, err)) != FR_OK || (r->refs && (st = feed_guide(r, &moved, err)) != FR_OK) ||
            (st = feed_colorize(r, &moved, err)) != FR_OK ||
            (st = feed_encoder(r, &moved, err)) != FR_OK)
            return st;
        int64_t done = fr_schedule_frames_done(r->sched);
        int64_t guess = r->total_guess >= 0 && r->total_guess < done ? done : r->total_guess;
        fr_progress_event ev = {"colorize", done, r->planner_done ? fr_store_frame_count(r->store) : guess, r->n_busy, r->nodes};
        if (r->planner_done && ev.done == ev.total)
            ev = (fr_progress_event){"encode", fr_encoder_frames_done(r->enc), ev.total, r->n_busy, r->nodes};
        fr_progress_report(r->progress, &ev);
        if (fr_encoder_finished(r->enc))
            return fr_encoder_finish(r->enc, err);
        if (moved) {
            nap = 20000;
        } else {
            struct timespec ts = {0, nap};
            nanosleep(&ts, NULL);
            if (nap < 2000000)
                nap *= 2;
        }
    }
}

/* Ends the nodes' loops. A node still computing answers first (its answer is
 * dropped), so no rank is left blocked in a send. */
static void stop_nodes(run *r)
{
    fr_err ignored;
    for (int rank = 1; rank <= r->nodes; rank++) {
        if (r->jobs && r->jobs[rank].h.type) {
            fr_msg m;
            fr_wire_recv(r->w, rank, &m, &ignored);
            job_release(&r->jobs[rank]);
        }
        fr_msg_header stop = {.type = FR_MSG_STOP};
        fr_wire_send(r->w, rank, &stop, NULL, 0, NULL, 0, &ignored);
    }
    r->nodes = 0;
}

/* ---- start-up ------------------------------------------------------------------------------ */

void fr_pipeline_store_path(const fr_run_settings *s, char *buf, size_t len)
{
    if (s->store)
        snprintf(buf, len, "%s", s->store);
    else
        snprintf(buf, len, "%s.h5", s->output);
}

/* The smoothing settings as nodes parse them, and their canonical text. */
static fr_status smoothing_text(const fr_run_settings *s, char *nodes, size_t nlen, char *canon,
                                size_t clen, fr_err *err)
{
    if (!strcmp(s->smoothing, "off"))
        snprintf(nodes, nlen, "off");
    else
        snprintf(nodes, nlen, "radius=%ld,strength=%g", s->smooth_radius, s->smooth_strength);
    fr_smooth_opts o;
    fr_smooth_opts_default(&o);
    fr_status st = fr_smooth_opts_parse(&o, nodes, err);
    if (st == FR_OK)
        fr_smooth_opts_format(&o, canon, clen);
    return st;
}

/* Seconds the coordinator waits for the nodes' READY (model loading included). */
static long ready_timeout(void)
{
    const char *v = getenv("FILMRESTORE_READY_TIMEOUT");
    long t = v ? strtol(v, NULL, 10) : 0;
    return t > 0 ? t : 600;
}

/* Like fr_wire_recv from any rank, but gives up at the deadline or on a stop signal. */
static fr_status recv_until(run *r, time_t deadline, int waiting, fr_msg *m, fr_err *err)
{
    long nap = 20000;
    for (;;) {
        fr_status st = fr_wire_poll(r->w, FR_WIRE_ANY, m, err);
        if (st != FR_EOF)
            return st;
        if (fr_launch_stop_requested())
            return stopped(r, err);
        if (time(NULL) >= deadline) {
            /* A hung or vanished node would also block MPI_Finalize: report, then end the job. */
            fr_err_set(err, FR_ERR_MPI, "%d of %d node ranks did not report ready within %ld s (they exited, or hang loading the model)",
                       waiting, r->nodes, ready_timeout());
            if (!fr_launch_report(1, err->msg))
                fr_error_line("%s", err->msg);
            fr_wire_abort(r->w, 1);
            return FR_ERR_MPI;
        }
        struct timespec ts = {0, nap};
        nanosleep(&ts, NULL);
        if (nap < 2000000)
            nap *= 2;
    }
}

/* hosts[0..n) sorted into "a (2 ranks), b (1 rank)". */
static int by_name(const void *a, const void *b) { return strcmp(a, b); }

static void host_summary(char (*hosts)[256], int n, char *buf, size_t len)
{
    qsort(hosts, (size_t)n, sizeof *hosts, by_name);
    size_t k = 0;
    buf[0] = 0;
    for (int i = 0; i < n && k < len;) {
        int j = i;
        while (j < n && !strcmp(hosts[j], hosts[i]))
            j++;
        int w = snprintf(buf + k, len - k, "%s%s (%d rank%s)", k ? ", " : "", hosts[i], j - i, j - i > 1 ? "s" : "");
        if (w < 0 || (size_t)w >= len - k) { /* too many to list: end with an ellipsis */
            snprintf(buf + (len > 4 ? len - 4 : 0), len > 4 ? 4 : len, "...");
            break;
        }
        k += (size_t)w;
        i = j;
    }
}

/* Waits for every node's READY ("name\nhash\nnumerics\nhost"); they must all run the
 * same model with the same numerics. The hosts go into the run's provenance. */
static fr_status await_nodes(run *r, fr_store_identity *id, fr_err *err)
{
    time_t deadline = time(NULL) + ready_timeout();
    char (*hosts)[256] = calloc((size_t)r->nodes + 1, sizeof *hosts);
    if (!hosts)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    fr_host_name(hosts[0], sizeof hosts[0]);
    fr_status st = FR_OK;
    for (int k = 0; k < r->nodes && st == FR_OK; k++) {
        fr_msg m;
        fr_ready rd;
        if ((st = recv_until(r, deadline, r->nodes - k, &m, err)) != FR_OK)
            break;
        if (m.h.type == FR_MSG_FAIL)
            st = fr_err_set(err, FR_ERR_MODEL, "node %d: %.*s", m.source, (int)m.payload_len, (const char *)m.payload);
        else if ((st = fr_wire_parse_ready(&m, &rd, err)) != FR_OK)
            break;
        else if (k == 0) {
            snprintf(id->model_name, sizeof id->model_name, "%s", rd.name);
            snprintf(id->model_hash, sizeof id->model_hash, "%s", rd.hash);
            snprintf(id->engine_numerics, sizeof id->engine_numerics, "%s", rd.numerics);
        } else if (strcmp(rd.hash, id->model_hash) || strcmp(rd.name, id->model_name)) {
            st = fr_err_set(err, FR_ERR_MODEL, "node %d loaded another model (%s) than node 1 (%s)", m.source, rd.name, id->model_name);
        } else if (strcmp(rd.numerics, id->engine_numerics)) {
            st = fr_err_set(err, FR_ERR_BACKEND, "node %d runs other numerics (%s) than node 1 (%s): mixed backends "
                            "would make the output depend on which node ran a batch", m.source, rd.numerics,
                            id->engine_numerics);
        }
        if (st == FR_OK)
            memcpy(hosts[k + 1], rd.host, sizeof rd.host);
    }
    if (st == FR_OK)
        host_summary(hosts, r->nodes + 1, r->hosts, sizeof r->hosts);
    free(hosts);
    return st;
}

/* Provenance: a row in the store's /runs for this run, and the tags every output of
 * this store carries (fr_provenance_tags). */
static fr_status record_provenance(run *r, const fr_store_identity *id, fr_tags *tags, fr_err *err)
{
    fr_store_run row = {.ranks = r->nodes + 1};
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm))
        strftime(row.started, sizeof row.started, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(row.tool_version, sizeof row.tool_version, "%s", FR_VERSION);
    snprintf(row.hosts, sizeof row.hosts, "%s", r->hosts);
    fr_provenance_settings(id, (int)r->s->tolerate_damage, row.settings, sizeof row.settings);
    fr_status st = fr_provenance_tags(id, row.settings, tags, err);
    return st != FR_OK ? st : fr_store_add_run(r->store, &row, err);
}

fr_status fr_pipeline_coordinator(fr_wire *w, const fr_run_settings *s, fr_err *err)
{
    run r = {.s = s, .w = w, .nodes = fr_wire_size(w) - 1, .size = (int)s->render_factor * 16,
             .smoothing = strcmp(s->smoothing, "off") != 0};
    fr_pipeline_store_path(s, r.store_path, sizeof r.store_path);
    fr_node_config cfg = {0};
    fr_store_identity id = {0};
    char smooth_canon[256] = "";
    fr_status st = FR_OK;
    fr_codec codec = FR_CODEC_AUTO;
    if (s->codec)
        fr_codec_parse(s->codec, &codec);
    if (r.nodes < 1) {
        st = fr_err_set(err, FR_ERR_ARG, "a distributed run needs at least one node rank besides the coordinator");
        goto early;
    }
    r.jobs = calloc((size_t)r.nodes + 1, sizeof *r.jobs);
    r.idle = malloc(sizeof *r.idle * (size_t)(r.nodes + 1));
    r.chroma = malloc(plane(&r) * 2 * (size_t)s->batch);
    r.progress = fr_progress_new(stderr);
    if (!r.jobs || !r.idle || !r.chroma || !r.progress) {
        st = fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        goto early;
    }
    if ((st = fr_remux_check_output(s->output, codec, err)) != FR_OK ||
        (st = fr_store_lock_take(&r.lock, r.store_path, fr_launch_owner_pid(), err)) != FR_OK ||
        (st = smoothing_text(s, cfg.smoothing, sizeof cfg.smoothing, smooth_canon, sizeof smooth_canon, err)) != FR_OK ||
        (st = fr_provenance_identity(s, smooth_canon, &id, &r.total_guess, err)) != FR_OK)
        goto early;
    if (s->references && (st = fr_references_load(&r.refs, s->references, r.size, id.rate_num, id.rate_den,
                                                  id.declared_frames, err)) != FR_OK)
        goto early;
    snprintf(cfg.model, sizeof cfg.model, "%s", s->model);
    snprintf(cfg.backend, sizeof cfg.backend, "%s", s->backend ? s->backend : "");
    snprintf(cfg.precision, sizeof cfg.precision, "%s", s->precision ? s->precision : "");
    cfg.threads = (int32_t)s->threads;
    cfg.size = r.size;
    cfg.batch = (int32_t)s->batch;
    cfg.winograd = !strcmp(s->winograd, "on");
early:
    /* Nodes always get a configuration; an empty model tells them to stop at once. */
    if (st != FR_OK)
        cfg.model[0] = 0;
    {
        fr_err berr;
        if (fr_wire_bcast_config(w, &cfg, &berr) != FR_OK && st == FR_OK)
            st = fr_err_set(err, FR_ERR_MPI, "%s", berr.msg);
    }
    if (st != FR_OK) {
        r.nodes = 0;
        goto done;
    }
    int resumed = 0;
    if ((st = await_nodes(&r, &id, err)) != FR_OK)
        goto done;
    st = fr_store_open(&r.store, r.store_path, &id, &resumed, err);
    if (st == FR_ERR_MISMATCH && s->overwrite) {
        fr_info("coordinator", "replacing %s (--overwrite): %s", r.store_path, err->msg);
        if (unlink(r.store_path) != 0) {
            st = fr_err_set(err, FR_ERR_IO, "cannot remove store %s: %s", r.store_path, strerror(errno));
            goto done;
        }
        st = fr_store_open(&r.store, r.store_path, &id, &resumed, err);
    } else if (st == FR_ERR_MISMATCH) {
        char why[FR_ERR_MSG_LEN];
        snprintf(why, sizeof why, "%s", err->msg);
        st = fr_err_set(err, st, "%s (use another --store, or --overwrite to replace it)", why);
    }
    if (st == FR_OK)
        st = fr_store_refs_open(&r.srefs, r.store, err);
    if (st != FR_OK)
        goto done;
    if (r.refs)
        fr_info("coordinator", "%d reference frames from %s", r.refs->n, s->references);
    for (int rank = 1; rank <= r.nodes; rank++)
        r.idle[r.n_idle++] = rank;
    r.stored_batches = fr_store_batch_count(r.store);
    r.stored_shots = fr_store_shot_count(r.store);
    r.stored_losses = fr_store_loss_count(r.store);
    fr_tags tags = {0};
    if ((st = record_provenance(&r, &id, &tags, err)) != FR_OK)
        goto done;
    if (resumed)
        fr_info("coordinator", "resuming from %s (%lld batches planned before)", r.store_path, (long long)r.stored_batches);
    int buffer = (int)s->batch * 4 > 64 ? (int)s->batch * 4 : 64;
    if ((st = fr_schedule_new(&r.sched, (int)s->smooth_radius, r.smoothing, err)) != FR_OK)
        goto done;
    if (r.refs)
        fr_schedule_set_guiding(r.sched);
    if ((st = fr_planner_start(&r.planner, s->input, r.size, (int)s->batch, &s->shots, 2 * r.nodes + 2, err)) != FR_OK ||
        (st = fr_encoder_start(&r.enc, s->input, s->output, codec, r.size, buffer, &tags, err)) != FR_OK ||
        (st = schedule_loop(&r, err)) != FR_OK)
        goto done;
    fr_progress_event ev = {"encode", fr_encoder_frames_done(r.enc), fr_encoder_frames_done(r.enc), 0, 0};
    fr_progress_done(r.progress, &ev);
    fr_info("coordinator", "colorize: %lld batches run, %lld already done in the store", (long long)r.colorized, (long long)r.colorize_skipped);
    if (r.smoothing)
        fr_info("coordinator", "smooth: %lld batches run, %lld already done in the store", (long long)r.smoothed, (long long)r.smooth_skipped);
    if (r.refs)
        fr_info("coordinator", "guide: %lld shots run, %lld already done in the store", (long long)r.guided, (long long)r.guide_skipped);
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        fr_info("coordinator", "peak RSS %ld MiB", ru.ru_maxrss / 1024);
    stop_nodes(&r);
    fr_store_refs_free(r.srefs);
    r.srefs = NULL;
    st = fr_store_close(r.store, err);
    r.store = NULL;
done:
    fr_encoder_free(r.enc); /* stops it, removing its temporary file, if the run failed */
    if (r.nodes > 0)
        stop_nodes(&r);
    fr_planner_free(r.planner);
    fr_schedule_free(r.sched);
    fr_store_refs_free(r.srefs);
    fr_store_free(r.store);
    fr_references_free(r.refs);
    free(r.shot_hash);
    fr_progress_free(r.progress);
    for (int rank = 0; r.jobs && rank <= fr_wire_size(w) - 1; rank++)
        job_release(&r.jobs[rank]);
    free(r.jobs);
    free(r.idle);
    free(r.chroma);
    fr_store_lock_free(r.lock); /* last: the store is closed */
    return st;
}
