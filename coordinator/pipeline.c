/* pipeline.c: rank 0 of a distributed run (pipeline.h).
 *
 * One dispatcher serves both distributed stages: it keeps a list of idle
 * nodes, asks the stage for its next job whenever a node is idle, and hands
 * each RESULT back to the stage. A node that sends FAIL ends the run with its
 * message; the store keeps everything finished before. */
#include "pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "fr_log.h"
#include "fr_remux.h"
#include "fr_store.h"
#include "fr_video_in.h"
#include "planner.h"
#include "progress.h"
#include "smooth.h"

typedef struct {
    fr_msg_header h;
    const uint8_t *a, *b;
    size_t na, nb;
    fr_plan_event ev;   /* colourise: the batch's frames, kept until its result is stored */
    uint8_t *owned;     /* smooth: the window read from the store */
    int64_t row;        /* batch row in the store */
} job;

typedef struct stage stage;
struct stage {
    const char *name;
    /* 1: j filled; 0: nothing now; -1: no more jobs ever; -2: error (in err). */
    int (*next)(stage *st, job *j, fr_err *err);
    fr_status (*done)(stage *st, job *j, const fr_msg *m, fr_err *err);
    int64_t frames_done, frames_total;
    int64_t jobs_sent, jobs_skipped; /* batches handed out, and found done in the store */
};

typedef struct {
    const fr_run_settings *s;
    fr_wire *w;
    fr_store *store;
    fr_progress *progress;
    int size, nodes;
    char store_path[1100];
    /* colourise stage */
    stage colorize;
    fr_planner *planner;
    int64_t plan_batches, plan_shots, stored_batches, stored_shots;
    int planner_done;
    /* smooth stage */
    stage smooth;
    int64_t smooth_row, rows;
    int radius;
    int *expecting;     /* [rank]: 1 while a node owes us an answer */
} run;

#define RUN_OF(st, field) ((run *)((char *)(st) - offsetof(run, field)))

static void job_release(job *j)
{
    fr_plan_event_release(&j->ev);
    free(j->owned);
    memset(j, 0, sizeof *j);
}

/* ---- the dispatcher ------------------------------------------------------------------------ */

static fr_status dispatch(run *r, stage *st, fr_err *err)
{
    job *busy = calloc((size_t)r->nodes + 1, sizeof *busy);
    int *idle = malloc(sizeof(int) * (size_t)(r->nodes + 1));
    if (!busy || !idle) {
        free(busy);
        free(idle);
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    }
    int n_idle = 0, n_busy = 0, exhausted = 0;
    for (int rank = 1; rank <= r->nodes; rank++)
        idle[n_idle++] = rank;
    fr_status res = FR_OK;
    long nap = 20000;
    while (!exhausted || n_busy > 0) {
        int moved = 0;
        fr_msg m;
        fr_status ps;
        while ((ps = fr_wire_poll(r->w, FR_WIRE_ANY, &m, err)) == FR_OK) {
            moved = 1;
            if (m.h.type == FR_MSG_FAIL) {
                r->expecting[m.source] = 0;
                res = fr_err_set(err, FR_ERR_BACKEND, "node %d: %.*s", m.source, (int)m.payload_len, (const char *)m.payload);
                goto out;
            }
            job *j = &busy[m.source];
            if (m.h.type != FR_MSG_RESULT || !j->h.type || m.h.batch != j->h.batch) {
                res = fr_err_set(err, FR_ERR_MPI, "unexpected message %d from node %d", m.h.type, m.source);
                goto out;
            }
            r->expecting[m.source] = 0;
            if ((res = st->done(st, j, &m, err)) != FR_OK)
                goto out;
            job_release(j);
            n_busy--;
            idle[n_idle++] = m.source;
        }
        if (ps != FR_EOF) {
            res = ps;
            goto out;
        }
        while (n_idle > 0 && !exhausted) {
            job j = {0};
            int got = st->next(st, &j, err);
            if (got == -2) {
                res = err->code;
                goto out;
            }
            if (got == -1) {
                exhausted = 1;
                break;
            }
            if (got == 0)
                break;
            int rank = idle[--n_idle];
            j.h.type = FR_MSG_WORK;
            if ((res = fr_wire_send(r->w, rank, &j.h, j.a, j.na, j.b, j.nb, err)) != FR_OK) {
                job_release(&j);
                goto out;
            }
            busy[rank] = j;
            st->jobs_sent++;
            r->expecting[rank] = 1;
            n_busy++;
            moved = 1;
        }
        fr_progress_event ev = {st->name, st->frames_done, st->frames_total, n_busy, r->nodes};
        fr_progress_report(r->progress, &ev);
        if (moved) {
            nap = 20000;
        } else {
            struct timespec ts = {0, nap};
            nanosleep(&ts, NULL);
            if (nap < 2000000)
                nap *= 2;
        }
    }
    fr_progress_event ev = {st->name, st->frames_done, st->frames_done, 0, r->nodes};
    fr_progress_done(r->progress, &ev);
    fr_info("coordinator", "%s: %lld batches run, %lld already done in the store", st->name,
            (long long)st->jobs_sent, (long long)st->jobs_skipped);
out:
    for (int rank = 1; rank <= r->nodes; rank++)
        job_release(&busy[rank]);
    free(busy);
    free(idle);
    return res;
}

/* Ends the nodes' loops. A node still computing answers first (its answer is
 * dropped), so no rank is left blocked in a send. */
static void stop_nodes(run *r)
{
    fr_err ignored;
    for (int rank = 1; rank <= r->nodes; rank++) {
        if (r->expecting && r->expecting[rank]) {
            fr_msg m;
            fr_wire_recv(r->w, rank, &m, &ignored);
        }
        fr_msg_header stop = {.type = FR_MSG_STOP};
        fr_wire_send(r->w, rank, &stop, NULL, 0, NULL, 0, &ignored);
    }
}

/* ---- stage 1: colourise -------------------------------------------------------------------- */

static int same_batch(const fr_batch *a, const fr_batch *b)
{
    return a->start == b->start && a->count == b->count && a->shot == b->shot;
}

static int plan_event(run *r, fr_plan_event *ev, fr_err *err)
{
    if (ev->kind == FR_PLAN_ERROR) {
        *err = ev->err;
        return -2;
    }
    if (ev->kind == FR_PLAN_END) {
        r->planner_done = 1;
        int64_t known = fr_store_frame_count(r->store);
        if (known >= 0 && known != ev->frames) {
            fr_err_set(err, FR_ERR_MISMATCH, "the source now has %lld frames, the store %lld", (long long)ev->frames, (long long)known);
            return -2;
        }
        r->colorize.frames_total = ev->frames;
        if (fr_store_set_frame_count(r->store, ev->frames, err) != FR_OK)
            return -2;
        return -1;
    }
    if (ev->kind == FR_PLAN_SHOT) {
        int64_t k = r->plan_shots++;
        if (k < r->stored_shots) {
            fr_shot old;
            if (fr_store_shot(r->store, k, &old, err) != FR_OK)
                return -2;
            if (old.start != ev->shot.start || old.end != ev->shot.end) {
                fr_err_set(err, FR_ERR_MISMATCH, "store %s: shot %lld differs from the plan (source or detector changed)", r->store_path, (long long)k);
                return -2;
            }
            return 0;
        }
        return fr_store_add_shot(r->store, &ev->shot, err) == FR_OK ? 0 : -2;
    }
    return 1; /* a batch */
}

static int colorize_next(stage *st, job *j, fr_err *err)
{
    run *r = RUN_OF(st, colorize);
    size_t plane = (size_t)r->size * r->size;
    for (;;) {
        if (r->planner_done)
            return -1;
        fr_plan_event ev;
        if (!fr_planner_try_next(r->planner, &ev))
            return 0;
        int kind = plan_event(r, &ev, err);
        if (kind != 1) {
            if (kind == 0)
                continue;
            return kind;
        }
        int64_t row = r->plan_batches++;
        if (row < r->stored_batches) {
            fr_batch old;
            int done = 0;
            if (fr_store_batch(r->store, row, &old, &done, NULL, err) != FR_OK) {
                fr_plan_event_release(&ev);
                return -2;
            }
            if (!same_batch(&old, &ev.batch)) {
                fr_plan_event_release(&ev);
                fr_err_set(err, FR_ERR_MISMATCH, "store %s: batch %lld differs from the plan (source or detector changed)", r->store_path, (long long)row);
                return -2;
            }
            if (done) {
                st->jobs_skipped++;
                st->frames_done += ev.batch.count;
                fr_plan_event_release(&ev);
                continue;
            }
        } else if (fr_store_add_batch(r->store, &ev.batch, err) != FR_OK) {
            fr_plan_event_release(&ev);
            return -2;
        }
        j->h = (fr_msg_header){.job = FR_JOB_COLORIZE, .batch = row, .start = ev.batch.start,
                               .count = ev.batch.count, .size = r->size, .out_first = 0,
                               .out_count = ev.batch.count};
        j->ev = ev;
        j->a = ev.gray;
        j->na = plane * (size_t)ev.batch.count;
        j->row = row;
        return 1;
    }
}

static fr_status colorize_done(stage *st, job *j, const fr_msg *m, fr_err *err)
{
    run *r = RUN_OF(st, colorize);
    size_t plane = (size_t)r->size * r->size;
    const fr_batch *b = &j->ev.batch;
    if (m->payload_len != plane * 2 * (size_t)b->count)
        return fr_err_set(err, FR_ERR_MPI, "batch %lld: %zu bytes of chroma, expected %zu", (long long)j->row, m->payload_len, plane * 2 * (size_t)b->count);
    fr_status s = fr_store_write_frames(r->store, b->start, b->count, j->ev.pts, j->ev.gray, m->payload, err);
    if (s == FR_OK)
        s = fr_store_mark_done(r->store, j->row, err);
    st->frames_done += b->count;
    return s;
}

/* ---- stage 2: smooth ----------------------------------------------------------------------- */

static int smooth_next(stage *st, job *j, fr_err *err)
{
    run *r = RUN_OF(st, smooth);
    size_t plane = (size_t)r->size * r->size;
    while (r->smooth_row < r->rows) {
        int64_t row = r->smooth_row++;
        fr_batch b;
        fr_shot shot;
        int smoothed = 0;
        if (fr_store_batch(r->store, row, &b, NULL, &smoothed, err) != FR_OK)
            return -2;
        if (smoothed) {
            st->jobs_skipped++;
            st->frames_done += b.count;
            continue;
        }
        if (fr_store_shot(r->store, b.shot, &shot, err) != FR_OK)
            return -2;
        int64_t lo = b.start - r->radius > shot.start ? b.start - r->radius : shot.start;
        int64_t hi = b.start + b.count + r->radius < shot.end ? b.start + b.count + r->radius : shot.end;
        int n = (int)(hi - lo);
        j->owned = malloc(plane * 3 * (size_t)n);
        if (!j->owned) {
            fr_err_set(err, FR_ERR_NOMEM, "out of memory");
            return -2;
        }
        if (fr_store_read_frames(r->store, lo, n, j->owned, j->owned + plane * (size_t)n, err) != FR_OK)
            return -2;
        j->h = (fr_msg_header){.job = FR_JOB_SMOOTH, .batch = row, .start = lo, .count = n,
                               .size = r->size, .out_first = (int32_t)(b.start - lo), .out_count = b.count};
        j->a = j->owned;
        j->na = plane * 3 * (size_t)n;
        j->row = row;
        return 1;
    }
    return -1;
}

static fr_status smooth_done(stage *st, job *j, const fr_msg *m, fr_err *err)
{
    run *r = RUN_OF(st, smooth);
    size_t plane = (size_t)r->size * r->size;
    if (m->payload_len != plane * 2 * (size_t)j->h.out_count)
        return fr_err_set(err, FR_ERR_MPI, "smoothing %lld: wrong result size", (long long)j->row);
    fr_status s = fr_store_write_smoothed(r->store, j->h.start + j->h.out_first, j->h.out_count, m->payload, err);
    if (s == FR_OK)
        s = fr_store_mark_smoothed(r->store, j->row, err);
    st->frames_done += j->h.out_count;
    return s;
}

/* ---- stage 3: encode ----------------------------------------------------------------------- */

typedef struct {
    run *r;
    int smoothed;
    int64_t frames;
} encode_ctx;

static fr_status stored_chroma(void *ctx, const fr_frame *f, uint8_t *chroma, fr_err *err)
{
    encode_ctx *e = ctx;
    if (f->index >= e->frames)
        return fr_err_set(err, FR_ERR_MISMATCH, "the source has more frames than the store (%lld)", (long long)e->frames);
    return e->smoothed ? fr_store_read_smoothed(e->r->store, f->index, 1, chroma, err)
                       : fr_store_read_frames(e->r->store, f->index, 1, NULL, chroma, err);
}

static void encode_progress(void *ctx, int64_t done)
{
    encode_ctx *e = ctx;
    fr_progress_event ev = {"encode", done, e->frames, 0, 0};
    fr_progress_report(e->r->progress, &ev);
}

static fr_status encode(run *r, fr_err *err)
{
    encode_ctx e = {r, strcmp(r->s->smoothing, "off") != 0, fr_store_frame_count(r->store)};
    fr_codec codec = FR_CODEC_AUTO;
    if (r->s->codec)
        fr_codec_parse(r->s->codec, &codec);
    fr_remux_opts o = {.codec = codec, .chroma_size = r->size, .chroma = stored_chroma, .chroma_ctx = &e,
                       .progress = encode_progress, .progress_ctx = &e};
    fr_status st = fr_remux(r->s->input, r->s->output, &o, err);
    if (st == FR_OK) {
        fr_progress_event ev = {"encode", e.frames, e.frames, 0, 0};
        fr_progress_done(r->progress, &ev);
    }
    return st;
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

/* Waits for every node's READY; they must all run the same model. */
static fr_status await_nodes(run *r, fr_store_identity *id, fr_err *err)
{
    for (int k = 0; k < r->nodes; k++) {
        fr_msg m;
        fr_status st = fr_wire_recv(r->w, FR_WIRE_ANY, &m, err);
        if (st != FR_OK)
            return st;
        if (m.h.type == FR_MSG_FAIL)
            return fr_err_set(err, FR_ERR_MODEL, "node %d: %.*s", m.source, (int)m.payload_len, (const char *)m.payload);
        if (m.h.type != FR_MSG_READY || !m.payload_len || m.payload[m.payload_len - 1])
            return fr_err_set(err, FR_ERR_MPI, "node %d: malformed READY", m.source);
        char name[128] = "", hash[65] = "";
        const char *nl = strchr((const char *)m.payload, '\n');
        if (nl) {
            snprintf(name, sizeof name, "%.*s", (int)(nl - (const char *)m.payload), (const char *)m.payload);
            snprintf(hash, sizeof hash, "%s", nl + 1);
        }
        if (k == 0) {
            snprintf(id->model_name, sizeof id->model_name, "%s", name);
            snprintf(id->model_hash, sizeof id->model_hash, "%s", hash);
        } else if (strcmp(hash, id->model_hash) || strcmp(name, id->model_name)) {
            return fr_err_set(err, FR_ERR_MODEL, "node %d loaded another model (%s) than node 1 (%s)", m.source, name, id->model_name);
        }
    }
    return FR_OK;
}

static fr_status make_identity(run *r, fr_store_identity *id, const char *smooth_canon, fr_err *err)
{
    const fr_run_settings *s = r->s;
    fr_video_in *in = NULL;
    fr_status st = fr_video_in_open(&in, s->input, err);
    if (st != FR_OK)
        return st;
    const fr_video_info *vi = fr_video_in_info(in);
    id->width = vi->width;
    id->height = vi->height;
    id->rate_num = vi->frame_rate.num;
    id->rate_den = vi->frame_rate.den;
    id->declared_frames = vi->nb_frames;
    fr_video_in_free(in);
    snprintf(id->source_path, sizeof id->source_path, "%s", s->input);
    id->render_factor = (int)s->render_factor;
    id->batch_size = (int)s->batch;
    fr_shots_opts so;
    fr_shots_defaults(&so);
    fr_shots_opts_format(&so, id->shots_settings, sizeof id->shots_settings);
    snprintf(id->smooth_settings, sizeof id->smooth_settings, "%s", smooth_canon);
    snprintf(id->tool_version, sizeof id->tool_version, "%s", FR_VERSION);
    return fr_store_fingerprint(s->input, id, err);
}

fr_status fr_pipeline_coordinator(fr_wire *w, const fr_run_settings *s, fr_err *err)
{
    run r = {.s = s, .w = w, .nodes = fr_wire_size(w) - 1, .size = (int)s->render_factor * 16,
             .radius = (int)s->smooth_radius};
    r.colorize = (stage){.name = "colorize", .next = colorize_next, .done = colorize_done, .frames_total = -1};
    r.smooth = (stage){.name = "smooth", .next = smooth_next, .done = smooth_done, .frames_total = -1};
    fr_pipeline_store_path(s, r.store_path, sizeof r.store_path);
    fr_node_config cfg = {0};
    fr_store_identity id = {0};
    char smooth_canon[256] = "";
    fr_status st = FR_OK;
    if (r.nodes < 1) {
        st = fr_err_set(err, FR_ERR_ARG, "a distributed run needs at least one node rank besides the coordinator");
        goto early;
    }
    r.expecting = calloc((size_t)r.nodes + 1, sizeof *r.expecting);
    r.progress = fr_progress_new(stderr);
    if (!r.expecting || !r.progress) {
        st = fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        goto early;
    }
    fr_codec codec = FR_CODEC_AUTO;
    if (s->codec)
        fr_codec_parse(s->codec, &codec);
    if ((st = fr_remux_check_output(s->output, codec, err)) != FR_OK ||
        (st = smoothing_text(s, cfg.smoothing, sizeof cfg.smoothing, smooth_canon, sizeof smooth_canon, err)) != FR_OK ||
        (st = make_identity(&r, &id, smooth_canon, err)) != FR_OK)
        goto early;
    snprintf(cfg.model, sizeof cfg.model, "%s", s->model);
    snprintf(cfg.backend, sizeof cfg.backend, "%s", s->backend ? s->backend : "");
    cfg.threads = (int32_t)s->threads;
    cfg.size = r.size;
early:
    /* Nodes always get a configuration; an empty model tells them to stop at once. */
    if (st != FR_OK)
        snprintf(cfg.model, sizeof cfg.model, "%s", "");
    {
        fr_err berr;
        if (fr_wire_bcast_config(w, &cfg, &berr) != FR_OK && st == FR_OK)
            st = fr_err_set(err, FR_ERR_MPI, "%s", berr.msg);
    }
    if (st != FR_OK)
        goto done;
    int resumed = 0;
    if ((st = await_nodes(&r, &id, err)) != FR_OK ||
        (st = fr_store_open(&r.store, r.store_path, &id, &resumed, err)) != FR_OK)
        goto done;
    r.stored_batches = fr_store_batch_count(r.store);
    r.stored_shots = fr_store_shot_count(r.store);
    r.colorize.frames_total = id.declared_frames;
    if (resumed)
        fr_info("coordinator", "resuming from %s (%lld batches planned before)", r.store_path, (long long)r.stored_batches);
    fr_shots_opts so;
    fr_shots_defaults(&so);
    if ((st = fr_planner_start(&r.planner, s->input, r.size, (int)s->batch, &so, 2 * r.nodes + 2, err)) != FR_OK ||
        (st = dispatch(&r, &r.colorize, err)) != FR_OK)
        goto done;
    fr_planner_free(r.planner);
    r.planner = NULL;
    r.rows = fr_store_batch_count(r.store);
    r.smooth.frames_total = fr_store_frame_count(r.store);
    if (strcmp(s->smoothing, "off") && (st = dispatch(&r, &r.smooth, err)) != FR_OK)
        goto done;
    stop_nodes(&r);
    r.nodes = 0; /* stopped */
    if ((st = encode(&r, err)) != FR_OK)
        goto done;
    st = fr_store_close(r.store, err);
    r.store = NULL;
done:
    if (r.nodes > 0 && r.expecting)
        stop_nodes(&r);
    fr_planner_free(r.planner);
    fr_store_free(r.store);
    fr_progress_free(r.progress);
    free(r.expecting);
    return st;
}
