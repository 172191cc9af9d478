/* pipeline.c: rank 0 of a distributed run (pipeline.h).
 *
 * The planner thread decodes the film once, for the shot detector and the damage rules
 * only, and cuts it into segments. This loop hands each segment, once its shot is
 * closed, to an idle node with the source's packets (packets.h): the node runs every
 * stage on it (nodes/segment.h). A shot with a colourist's reference frames goes to one
 * node whole. The answer's chroma goes into the store (the checkpoint, for verify and
 * for re-running a shot), its encoded packets into a part file, and the segment is
 * flagged done; the mux thread (muxer.h) takes the part files in order. A node that
 * sends FAIL ends the run with its message; the store keeps everything finished. */
#include "pipeline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fr_backend.h"
#include "fr_error_line.h"
#include "fr_host.h"
#include "fr_log.h"
#include "fr_remux.h"
#include "fr_store.h"
#include "fr_store_lock.h"
#include "fr_store_refs.h"
#include "fr_stream_params.h"
#include "fr_video_in.h"
#include "fr_wire_parse.h"
#include "fr_launch_rank.h"
#include "guide.h"
#include "muxer.h"
#include "packets.h"
#include "planner.h"
#include "progress.h"
#include "provenance.h"
#include "references.h"
#include "segment.h"
#include "shot_features.h"
#include "stage.h"
#include "watchdog.h"
#include "fr_version.h"

enum { ROW_WAITING, ROW_OUT, ROW_DONE };

typedef struct {
    fr_batch b;
    int64_t *pts;     /* b.count timestamps; freed once the row and its neighbours are sent */
    int state;
    int stored_done;  /* the store says done, with its part file */
    int flagged;      /* the store says done: its chroma is there */
    uint8_t *part;    /* its part file's body, kept for the muxer (NULL: it reads the file) */
    size_t part_len;
} row;

enum { JOB_FRESH, JOB_GIVEN, JOB_GUIDE, JOB_FEATURES };

typedef struct {
    fr_msg_header h;  /* h.type != 0 while the job is out */
    int kind;         /* JOB_FRESH: the generator runs; JOB_GIVEN: the store's final chroma,
                         re-encoded; JOB_GUIDE: a whole shot guided (from stored chroma or not) */
    int64_t first_row;
    int rows;         /* rows it covers: 1, or a guided shot's */
    int64_t shot;
    int64_t *pts;     /* the output frames' timestamps */
} job;

typedef struct {
    fr_shot s;
    int64_t first_row, rows;
    int guided;               /* references guide it in this run */
    int redo_guide;           /* guided, and the store holds no finished guidance for it */
    int chroma_stored;        /* every row flagged done before this run: its unguided chroma is stored */
    uint8_t hash[32];         /* of its guidance (zero when not guided) */
} shot;

typedef struct {
    int64_t id, start;
    int count;
    int64_t *pts;
} analysis;  /* a chunk waiting for a node to make its shot features */

#define FR_MUX_AHEAD 2     /* finished segments kept in memory for the muxer, ahead of it */
#define FR_CHUNK_FRAMES 48 /* frames in a chunk of the shot detector's features */

typedef struct {
    const fr_run_settings *s;
    fr_wire *w;
    fr_store *store;
    fr_store_lock *lock;     /* held from start-up to the end: one run per store */
    fr_progress *progress;
    fr_planner *planner;
    fr_packets *packets, *apackets; /* the segments' window, and the analysis chunks' */
    analysis *chunks;        /* waiting to go out, in order */
    int n_chunks, chunks_cap;
    fr_muxer *mux;
    int size, nodes, smoothing;
    int radius, radius_given; /* context frames on each side: a fresh segment's, a re-encoded one's */
    char label[128];          /* the segments' stages, for progress lines */
    char store_path[1100];
    job *jobs;               /* [rank]: what each node is working on */
    int *idle, n_idle, n_busy;
    row *rows;
    int64_t n_rows, rows_cap, next_row, mux_next, stored_batches;
    shot *shots;
    int64_t n_shots, shots_cap, stored_shots;
    int64_t total_guess, frames_total;
    int planner_done, mux_ended;
    int64_t segments_run, segments_skipped, frames_done, guided, guide_skipped, generated;
    int64_t plan_losses, stored_losses;
    char hosts[448];          /* "host (N ranks), ...": the run's provenance */
    fr_references *refs;      /* --references, NULL without */
    fr_store_refs *srefs;     /* the store's guided shots */
} run;

static size_t plane(const run *r) { return (size_t)r->size * r->size; }

static void job_release(job *j)
{
    free(j->pts);
    memset(j, 0, sizeof *j);
}

/* ---- the plan, as the planner settles it ------------------------------------------------ */

static int grow(void **p, int64_t *cap, int64_t need, size_t size)
{
    if (need <= *cap)
        return 1;
    int64_t c = *cap ? 2 * *cap : 64;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, size * (size_t)c);
    if (!q)
        return 0;
    *p = q;
    *cap = c;
    return 1;
}

static int same_batch(const fr_batch *a, const fr_batch *b)
{
    return a->start == b->start && a->count == b->count && a->shot == b->shot;
}

static fr_status on_batch(run *r, fr_plan_event *ev, fr_err *err)
{
    int64_t k = r->n_rows;
    int done = 0, smoothed = 0;
    fr_status st = FR_OK;
    if (k < r->stored_batches) {
        fr_batch old;
        if ((st = fr_store_batch(r->store, k, &old, &done, &smoothed, err)) == FR_OK && !same_batch(&old, &ev->batch))
            st = fr_err_set(err, FR_ERR_MISMATCH, "store %s: segment %lld differs from the plan (source or detector changed)",
                            r->store_path, (long long)k);
    } else {
        st = fr_store_add_batch(r->store, &ev->batch, err);
    }
    if (st != FR_OK)
        return st;
    if (!grow((void **)&r->rows, &r->rows_cap, k + 1, sizeof *r->rows))
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    int flagged = done;
    if (done) { /* done in the store counts only with its part file beside it */
        char path[4300];
        struct stat sb;
        fr_muxer_part_path(r->store_path, k, path, sizeof path);
        done = stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
    }
    r->rows[k] = (row){.b = ev->batch, .pts = ev->pts, .stored_done = done, .flagged = flagged};
    ev->pts = NULL;
    r->n_rows++;
    return FR_OK;
}

/* A closed shot: checked against the store, and its guidance decided. A shot whose
 * guidance differs from what its stored segments were made with is redone whole: its
 * flags are cleared first, so that a kill now cannot leave stale segments looking done. */
static fr_status on_shot(run *r, const fr_shot *s, fr_err *err)
{
    int64_t k = r->n_shots;
    fr_status st = FR_OK;
    if (k < r->stored_shots) {
        fr_shot old;
        if ((st = fr_store_shot(r->store, k, &old, err)) != FR_OK)
            return st;
        if (old.start != s->start || old.end != s->end)
            return fr_err_set(err, FR_ERR_MISMATCH, "store %s: shot %lld differs from the plan (source or detector changed)",
                              r->store_path, (long long)k);
    } else if ((st = fr_store_add_shot(r->store, s, err)) != FR_OK) {
        return st;
    }
    if (!grow((void **)&r->shots, &r->shots_cap, k + 1, sizeof *r->shots))
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    shot *sh = &r->shots[k];
    memset(sh, 0, sizeof *sh);
    sh->s = *s;
    sh->first_row = r->n_rows;
    while (sh->first_row > 0 && r->rows[sh->first_row - 1].b.shot == k)
        sh->first_row--;
    sh->rows = r->n_rows - sh->first_row;
    r->n_shots++;
    int first = 0, n = r->refs ? fr_references_in(r->refs, s->start, s->end, &first) : 0;
    sh->guided = n > 0;
    if (sh->guided)
        fr_references_hash(r->refs, first, n, s, fr_guide_settings(), sh->hash);
    uint8_t stored[32];
    if ((st = fr_store_refs_hash(r->srefs, k, stored, err)) != FR_OK)
        return st;
    int all_flagged = 1;
    for (int64_t i = 0; i < sh->rows; i++)
        all_flagged &= r->rows[sh->first_row + i].flagged;
    sh->chroma_stored = all_flagged;
    if (!memcmp(stored, sh->hash, 32) && (!sh->guided || all_flagged)) {
        r->guide_skipped += sh->guided;
        return FR_OK;
    }
    sh->redo_guide = sh->guided;
    for (int64_t i = 0; i < sh->rows; i++) {
        row *w = &r->rows[sh->first_row + i];
        if (w->stored_done && (st = fr_store_mark_undone(r->store, sh->first_row + i, err)) != FR_OK)
            return st;
        w->stored_done = w->flagged = 0;
    }
    return sh->guided ? FR_OK : fr_store_refs_unguide(r->srefs, k, err);
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
    r->frames_total = frames;
    return fr_store_set_frame_count(r->store, frames, err);
}

/* Takes every event the planner has ready. */
static fr_status take_plan(run *r, int *moved, fr_err *err)
{
    fr_plan_event ev;
    while (!r->planner_done && fr_planner_try_next(r->planner, &ev)) {
        *moved = 1;
        fr_status st = FR_OK;
        if (ev.kind == FR_PLAN_ERROR) {
            *err = ev.err;
            return ev.err.code ? ev.err.code : FR_ERR_INPUT;
        }
        if (ev.kind == FR_PLAN_CHUNK) {
            if (r->n_chunks == r->chunks_cap) {
                int cap = r->chunks_cap ? 2 * r->chunks_cap : 16;
                analysis *c = realloc(r->chunks, sizeof *c * (size_t)cap);
                if (!c) {
                    fr_plan_event_release(&ev);
                    return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
                }
                r->chunks = c;
                r->chunks_cap = cap;
            }
            r->chunks[r->n_chunks++] = (analysis){ev.chunk_id, ev.chunk_start, ev.chunk_count, ev.pts};
            ev.pts = NULL;
        } else if (ev.kind == FR_PLAN_BATCH)
            st = on_batch(r, &ev, err);
        else if (ev.kind == FR_PLAN_SHOT)
            st = on_shot(r, &ev.shot, err);
        else if (ev.kind == FR_PLAN_DAMAGE)
            st = on_loss(r, &ev.loss, err);
        else if (ev.kind == FR_PLAN_END)
            st = on_end(r, ev.frames, err);
        fr_plan_event_release(&ev);
        if (st != FR_OK)
            return st;
    }
    return FR_OK;
}

/* ---- shot features: chunks out, first --------------------------------------------------- */

static fr_status feed_features(run *r, int *moved, fr_err *err)
{
    while (r->n_idle > 0 && r->n_chunks > 0) {
        analysis a = r->chunks[0];
        memmove(r->chunks, r->chunks + 1, sizeof *r->chunks * (size_t)--r->n_chunks);
        fr_pktlist msg = {0}, pk = {0};
        int rank = r->idle[r->n_idle - 1];
        job j = {.kind = JOB_FEATURES};
        j.h = (fr_msg_header){.type = FR_MSG_WORK, .job = FR_JOB_FEATURES, .batch = a.id, .start = a.start,
                              .count = a.count, .size = r->size, .out_first = 0, .out_count = a.count};
        fr_status st = fr_packets_take(r->apackets, a.pts, a.count, &pk, err);
        int64_t len = (int64_t)pk.len;
        if (st == FR_OK && (st = fr_pktlist_put_raw(&msg, &len, sizeof len, err)) == FR_OK)
            st = fr_pktlist_put_raw(&msg, a.pts, sizeof *a.pts * (size_t)a.count, err);
        if (st == FR_OK)
            st = fr_wire_send(r->w, rank, &j.h, msg.data, msg.len, pk.data, pk.len, err);
        fr_pktlist_release(&msg);
        fr_pktlist_release(&pk);
        free(a.pts);
        if (st != FR_OK)
            return st;
        r->jobs[rank] = j;
        r->n_idle--;
        r->n_busy++;
        *moved = 1;
    }
    return FR_OK;
}

static fr_status features_done(run *r, job *j, const fr_msg *m, fr_err *err)
{
    int gw, gh;
    fr_status st = fr_features_parse_result(m, &j->h, &gw, &gh, err);
    return st != FR_OK ? st : fr_planner_give_features(r->planner, j->h.batch, m->payload + 8, m->payload_len - 8, gw, gh, err);
}

/* ---- segments out ---------------------------------------------------------------------- */

/* Timestamps of frames [lo, hi), which lie in rows first_row.. of one shot. */
static fr_status window_pts(run *r, int64_t first_row, int64_t lo, int64_t hi, int64_t *out, fr_err *err)
{
    int64_t i = first_row;
    while (i > 0 && r->rows[i].b.start > lo)
        i--;
    for (int64_t f = lo; f < hi; f++) {
        while (i < r->n_rows && f >= r->rows[i].b.start + r->rows[i].b.count)
            i++;
        if (i >= r->n_rows || !r->rows[i].pts || f < r->rows[i].b.start)
            return fr_err_set(err, FR_ERR_INTERNAL, "frame %lld's timestamp is not at hand", (long long)f);
        out[f - lo] = r->rows[i].pts[f - r->rows[i].b.start];
    }
    return FR_OK;
}

/* Chroma of frames [lo, hi) from the store: a guided shot's guided chroma when guided,
 * else the unguided (smoothed, or the model's) chroma. */
static fr_status stored_chroma(run *r, int64_t lo, int64_t hi, int guided, uint8_t **out, fr_err *err)
{
    *out = malloc(plane(r) * 2 * (size_t)(hi - lo));
    if (!*out)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    int n = (int)(hi - lo);
    return guided        ? fr_store_refs_read(r->srefs, lo, n, *out, err)
           : r->smoothing ? fr_store_read_smoothed(r->store, lo, n, *out, err)
                          : fr_store_read_frames(r->store, lo, n, NULL, *out, err);
}

/* Sends rows [k, k + n) of shot sh, with frames [lo, hi) decoded, as a job of that kind. */
static fr_status send_segment(run *r, int kind, int64_t k, int n, const shot *sh, int64_t lo, int64_t hi, fr_err *err)
{
    int count = (int)(hi - lo);
    int64_t a = r->rows[k].b.start, b = r->rows[k + n - 1].b.start + r->rows[k + n - 1].b.count;
    int first = 0, nref = kind == JOB_GUIDE ? fr_references_in(r->refs, sh->s.start, sh->s.end, &first) : 0;
    int given_chroma = kind == JOB_GIVEN || (kind == JOB_GUIDE && sh->chroma_stored);
    fr_segment_head head = {.nref = nref, .flags = given_chroma ? FR_SEGMENT_CHROMA_GIVEN : 0};
    uint8_t *given = NULL;
    fr_pktlist msg = {0}, pk = {0}; /* the head, timestamps and references; the packets */
    int rank = r->idle[r->n_idle - 1];
    job j = {.kind = kind, .first_row = k, .rows = n, .shot = r->rows[k].b.shot};
    j.h = (fr_msg_header){.type = FR_MSG_WORK, .job = FR_JOB_SEGMENT, .batch = k, .start = lo, .count = count,
                          .size = r->size, .out_first = (int32_t)(a - lo), .out_count = (int32_t)(b - a)};
    int64_t *pts = malloc(sizeof *pts * (size_t)count);
    fr_status st = pts ? window_pts(r, k, lo, hi, pts, err) : fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    if (st == FR_OK)
        st = fr_packets_take(r->packets, pts, count, &pk, err);
    head.pkt_len = (int64_t)pk.len;
    if (st == FR_OK && (st = fr_pktlist_put_raw(&msg, &head, sizeof head, err)) == FR_OK)
        st = fr_pktlist_put_raw(&msg, pts, sizeof *pts * (size_t)count, err);
    for (int i = 0; st == FR_OK && i < nref; i++) {
        int32_t at = (int32_t)(r->refs->r[first + i].frame - lo);
        st = fr_pktlist_put_raw(&msg, &at, sizeof at, err);
    }
    for (int i = 0; st == FR_OK && i < nref; i++)
        st = fr_pktlist_put_raw(&msg, r->refs->r[first + i].chroma, plane(r) * 2, err);
    if (st == FR_OK && given_chroma && (st = stored_chroma(r, a, b, kind == JOB_GIVEN && sh->guided, &given, err)) == FR_OK)
        st = fr_pktlist_put_raw(&msg, given, plane(r) * 2 * (size_t)(b - a), err);
    if (st == FR_OK && msg.len + pk.len > (size_t)INT32_MAX - 4096)
        st = fr_err_set(err, FR_ERR_ARG, "segment %lld (frames %lld-%lld) is too large for one MPI message: "
                        "use a smaller --segment-frames%s", (long long)k, (long long)a, (long long)b - 1,
                        nref ? ", or drop the references of this long shot" : "");
    if (st == FR_OK && !(j.pts = malloc(sizeof *pts * (size_t)(b - a))))
        st = fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    if (st == FR_OK)
        st = fr_wire_send(r->w, rank, &j.h, msg.data, msg.len, pk.data, pk.len, err);
    if (st == FR_OK) {
        memcpy(j.pts, pts + (a - lo), sizeof *pts * (size_t)(b - a));
        r->jobs[rank] = j;
        j.pts = NULL;
        r->n_idle--;
        r->n_busy++;
        for (int i = 0; i < n; i++)
            r->rows[k + i].state = ROW_OUT;
        /* the generator runs on the segment and the chroma rows' context only */
        int64_t rc = r->radius - r->radius_given, g_lo = a - rc > lo ? a - rc : lo, g_hi = b + rc < hi ? b + rc : hi;
        r->generated += given_chroma ? 0 : kind == JOB_GUIDE ? count : g_hi - g_lo;
    }
    free(given);
    fr_pktlist_release(&msg);
    fr_pktlist_release(&pk);
    free(pts);
    free(j.pts);
    return st;
}

/* Frees the timestamps that no segment still to send needs: those of finished rows that end
 * more than a smoothing radius before the next row to send. */
static void forget_pts(run *r)
{
    const row *last = r->n_rows ? &r->rows[r->n_rows - 1] : NULL;
    int64_t next = r->next_row < r->n_rows ? r->rows[r->next_row].b.start : last ? last->b.start + last->b.count : 0;
    for (int64_t i = 0; i < r->next_row; i++) {
        row *w = &r->rows[i];
        if (w->pts && w->state == ROW_DONE && w->b.start + w->b.count + r->radius <= next) {
            free(w->pts);
            w->pts = NULL;
        }
    }
}

/* Hands segments, in plan order, to idle nodes once their shot is closed. */
static fr_status feed_segments(run *r, int *moved, fr_err *err)
{
    while (r->next_row < r->n_rows) {
        row *w = &r->rows[r->next_row];
        int64_t si = w->b.shot;
        if (si >= r->n_shots)
            break; /* its shot is still open: its context and guidance are not known */
        const shot *sh = &r->shots[si];
        int n = sh->redo_guide ? (int)sh->rows : 1;
        int done = 1;
        for (int i = 0; i < n; i++)
            done &= r->rows[r->next_row + i].stored_done;
        if (done) {
            for (int i = 0; i < n; i++)
                r->rows[r->next_row + i].state = ROW_DONE;
            r->segments_skipped += n;
            r->frames_done += sh->redo_guide ? sh->s.end - sh->s.start : w->b.count;
            r->next_row += n;
            *moved = 1;
            continue;
        }
        if (r->n_idle == 0)
            break;
        /* a guided shot whole; a row whose final chroma the store holds, re-encoded (with
         * the context its luma rows read); else a row with the context of every row, from
         * its own shot */
        int kind = sh->redo_guide ? JOB_GUIDE : w->flagged || sh->chroma_stored ? JOB_GIVEN : JOB_FRESH;
        int64_t lo = sh->s.start, hi = sh->s.end;
        if (kind != JOB_GUIDE) {
            int c = kind == JOB_GIVEN ? r->radius_given : r->radius;
            lo = w->b.start - c > lo ? w->b.start - c : lo;
            hi = w->b.start + w->b.count + c < hi ? w->b.start + w->b.count + c : hi;
        }
        fr_status st = send_segment(r, kind, r->next_row, n, sh, lo, hi, err);
        if (st != FR_OK)
            return st;
        r->next_row += n;
        *moved = 1;
    }
    forget_pts(r);
    return FR_OK;
}

/* ---- results in ------------------------------------------------------------------------ */

static fr_status segment_done(run *r, job *j, const fr_msg *m, fr_err *err)
{
    fr_segment_result res;
    const shot *sh = &r->shots[j->shot];
    fr_status st = fr_segment_parse_result(m, &j->h, j->kind == JOB_GUIDE, &res, err);
    if (st != FR_OK)
        return st;
    int64_t first = j->h.start + j->h.out_first;
    int n = j->h.out_count;
    /* the chroma first: verify and a later run read it (a guided shot's, without its
     * guidance too, for when its references change); a re-encoded row's is there already */
    const uint8_t *unguided = j->kind == JOB_GUIDE ? res.unguided : j->kind == JOB_FRESH ? res.chroma : NULL;
    st = fr_store_write_frames(r->store, first, n, j->pts, NULL, r->smoothing ? NULL : unguided, err);
    if (st == FR_OK && r->smoothing && unguided)
        st = fr_store_write_smoothed(r->store, first, n, unguided, err);
    if (st == FR_OK && j->kind == JOB_GUIDE)
        st = fr_store_refs_write(r->srefs, j->shot, first, n, res.chroma, sh->hash, err);
    /* then each row's part file: its frames' digests and packets (one packet a frame) */
    size_t pos = 0;
    for (int i = 0; st == FR_OK && i < j->rows; i++) {
        const row *w = &r->rows[j->first_row + i];
        int64_t off = w->b.start - first, k = w->b.count;
        fr_pktlist part = {0};
        fr_pkt p;
        size_t from = pos;
        for (int64_t f = 0; st == FR_OK && f < k; f++)
            if (fr_pktlist_next(res.pkts, res.pkt_len, &pos, &p) != 1)
                st = fr_err_set(err, FR_ERR_MPI, "segment %lld: fewer packets than frames", (long long)j->first_row);
        if (st == FR_OK && (st = fr_pktlist_put_raw(&part, &k, sizeof k, err)) == FR_OK &&
            (st = fr_pktlist_put_raw(&part, res.digests + 16 * off, 16 * (size_t)k, err)) == FR_OK)
            st = fr_pktlist_put_raw(&part, res.pkts + from, pos - from, err);
        char path[4300];
        fr_muxer_part_path(r->store_path, j->first_row + i, path, sizeof path);
        fr_part_slice whole = {part.data, part.len};
        if (st == FR_OK)
            st = fr_pktlist_save(&whole, 1, path, err);
        /* the muxer takes it from memory when it will need it soon, else from the file */
        if (st == FR_OK && j->first_row + i < r->mux_next + FR_MUX_AHEAD) {
            r->rows[j->first_row + i].part = part.data;
            r->rows[j->first_row + i].part_len = part.len;
            part.data = NULL;
        }
        fr_pktlist_release(&part);
    }
    if (st == FR_OK && pos != res.pkt_len)
        st = fr_err_set(err, FR_ERR_MPI, "segment %lld: more packets than frames", (long long)j->first_row);
    /* last, the flags: a row flagged done has its chroma and its part file */
    for (int i = 0; st == FR_OK && i < j->rows; i++) {
        if ((st = fr_store_mark_done(r->store, j->first_row + i, err)) == FR_OK && r->smoothing)
            st = fr_store_mark_smoothed(r->store, j->first_row + i, err);
        r->rows[j->first_row + i].state = ROW_DONE;
    }
    if (st == FR_OK) {
        r->segments_run += j->rows;
        r->guided += j->kind == JOB_GUIDE;
        r->frames_done += n;
    }
    return st;
}

static fr_status on_message(run *r, const fr_msg *m, fr_err *err)
{
    if (m->h.type == FR_MSG_FAIL) {
        job_release(&r->jobs[m->source]); /* it owes us nothing more */
        return fr_err_set(err, FR_ERR_BACKEND, "node %d: %.*s", m->source, (int)m->payload_len, (const char *)m->payload);
    }
    job *j = &r->jobs[m->source];
    if (m->h.type != FR_MSG_RESULT || !j->h.type || m->h.batch != j->h.batch || m->h.job != j->h.job)
        return fr_err_set(err, FR_ERR_MPI, "unexpected message %d from node %d", m->h.type, m->source);
    fr_status st = j->kind == JOB_FEATURES ? features_done(r, j, m, err) : segment_done(r, j, m, err);
    job_release(j);
    r->n_busy--;
    r->idle[r->n_idle++] = m->source;
    return st;
}

/* Hands the muxer every finished row, in order. */
static void feed_muxer(run *r)
{
    while (r->mux_next < r->n_rows && r->rows[r->mux_next].state == ROW_DONE) {
        row *w = &r->rows[r->mux_next];
        fr_muxer_add(r->mux, r->mux_next, w->b.count, w->part, w->part_len);
        w->part = NULL;
        r->mux_next++;
    }
    if (!r->mux_ended && r->planner_done && r->mux_next == r->n_rows) {
        fr_muxer_end(r->mux);
        r->mux_ended = 1;
    }
}

static fr_status stopped(run *r, fr_err *err)
{
    return fr_err_set(err, FR_ERR_INTERRUPTED, "stopped by a signal; store %s keeps %lld finished segments, rerun to resume",
                      r->store_path, (long long)(r->segments_run + r->segments_skipped));
}

/* What each node holds, for the watchdog (watchdog.h); the next job goes to the last idle node. */
static void watch_jobs(run *r, fr_watchdog *wd, fr_watchdog_job *jobs)
{
    for (int rank = 1; rank <= r->nodes; rank++) {
        const job *j = &r->jobs[rank];
        int features = j->kind == JOB_FEATURES;
        int64_t first = features ? j->h.start : j->h.start + j->h.out_first;
        jobs[rank] = (fr_watchdog_job){j->h.type != 0, features, j->h.batch, first,
                                       first + (features ? j->h.count : j->h.out_count) - 1};
    }
    fr_watchdog_update(wd, jobs, r->n_idle ? r->idle[r->n_idle - 1] : 0);
}

static fr_status schedule_turns(run *r, fr_watchdog *wd, fr_watchdog_job *jobs, fr_err *err)
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
        if ((st = take_plan(r, &moved, err)) != FR_OK || (st = feed_features(r, &moved, err)) != FR_OK ||
            (st = feed_segments(r, &moved, err)) != FR_OK)
            return st;
        feed_muxer(r);
        int64_t guess = r->planner_done ? r->frames_total
                        : r->total_guess >= 0 && r->total_guess < r->frames_done ? r->frames_done : r->total_guess;
        fr_progress_event ev = {r->label, r->frames_done, guess, r->n_busy, r->nodes};
        if (r->planner_done && ev.done == ev.total)
            ev = (fr_progress_event){"encode", fr_muxer_frames_done(r->mux), ev.total, r->n_busy, r->nodes};
        fr_progress_report(r->progress, &ev);
        watch_jobs(r, wd, jobs);
        if (fr_muxer_finished(r->mux))
            return fr_muxer_finish(r->mux, err);
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

/* The scheduler's turns, watched: a stopped or hung node ends the run (watchdog.h). */
static fr_status schedule_loop(run *r, fr_err *err)
{
    fr_watchdog *wd = NULL;
    fr_watchdog_job *jobs = calloc((size_t)r->nodes + 1, sizeof *jobs);
    fr_status st = jobs ? fr_watchdog_start(&wd, r->nodes, r->store_path, err) : fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    if (st == FR_OK)
        st = schedule_turns(r, wd, jobs, err);
    fr_watchdog_free(wd);
    free(jobs);
    return st;
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

/* The instruction set a store's run computed at: the last word of its CPU numerics
 * ("cpu fp32 direct avx2"), or "" (no store, another backend, an exact generator). */
static void stored_isa(const run *r, char *isa, size_t len)
{
    isa[0] = 0;
    fr_store *st = NULL;
    fr_err ignored;
    struct stat sb;
    if (r->s->overwrite || stat(r->store_path, &sb) != 0 || fr_store_open_readonly(&st, r->store_path, &ignored) != FR_OK)
        return;
    const char *num = fr_store_identity_of(st)->engine_numerics, *last = strrchr(num, ' ');
    if (!strncmp(num, "cpu ", 4) && last && fr_backend_isa_supports(last + 1, last + 1))
        snprintf(isa, len, "%s", last + 1);
    fr_store_free(st);
}

/* Every node's instruction set (HELLO), and the level all of them compute at, broadcast
 * back before any loads its model: the store's when it has one (a resume computes as the
 * run it resumes, or is refused), else the highest every node runs. So a frame's bytes
 * never depend on which node's CPU colourised it. */
static fr_status agree_isa(run *r, fr_err *err)
{
    time_t deadline = time(NULL) + ready_timeout();
    char (*isa)[FR_WIRE_ISA_LEN] = calloc((size_t)r->nodes, sizeof *isa);
    const char **names = calloc((size_t)r->nodes, sizeof *names);
    char stored[FR_WIRE_ISA_LEN];
    const char *cap = NULL;
    fr_status st = isa && names ? FR_OK : fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    for (int k = 0; st == FR_OK && k < r->nodes; k++) {
        fr_msg m;
        if ((st = recv_until(r, deadline, r->nodes - k, &m, err)) != FR_OK)
            break;
        if (m.h.type == FR_MSG_FAIL)
            st = fr_err_set(err, FR_ERR_BACKEND, "node %d: %.*s", m.source, (int)m.payload_len, (const char *)m.payload);
        else if ((st = fr_wire_parse_hello(&m, isa[m.source - 1], sizeof isa[0], err)) == FR_OK) {
            names[m.source - 1] = isa[m.source - 1];
            fr_debug("coordinator", "node %d's CPU runs oneDNN at %s", m.source, names[m.source - 1]);
        }
    }
    if (st == FR_OK && !(cap = fr_backend_isa_common(names, r->nodes)))
        st = fr_err_set(err, FR_ERR_BACKEND, "a node reports an instruction set oneDNN does not know");
    if (st == FR_OK) {
        stored_isa(r, stored, sizeof stored);
        for (int k = 0; stored[0] && st == FR_OK && k < r->nodes; k++)
            if (!fr_backend_isa_supports(names[k], stored))
                st = fr_err_set(err, FR_ERR_BACKEND, "store %s was computed at %s, and node %d's CPU runs only %s: resume "
                                "where every node has %s, or use --overwrite", r->store_path, stored, k + 1, names[k], stored);
        if (stored[0])
            cap = stored;
    }
    const char *word = st == FR_OK ? cap : FR_WIRE_ISA_STOP;
    uint8_t *blob = (uint8_t *)word;
    size_t len = strlen(word) + 1;
    fr_err berr;
    if (fr_wire_bcast_blob(r->w, &blob, &len, &berr) != FR_OK && st == FR_OK)
        st = fr_err_set(err, FR_ERR_MPI, "%s", berr.msg);
    if (st == FR_OK)
        fr_info("coordinator", "nodes compute at %s (%s)", cap, stored[0] ? "the store's level" : "the level they share");
    free(isa);
    free(names);
    return st;
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

/* The source's stream parameters, for the nodes' decoders. */
static fr_status stream_params(const char *input, uint8_t **buf, size_t *len, fr_err *err)
{
    fr_video_in *in = NULL;
    fr_status st = fr_video_in_open(&in, input, err);
    if (st == FR_OK)
        st = fr_stream_params_pack(in, buf, len, err);
    fr_video_in_free(in);
    return st;
}

fr_status fr_pipeline_coordinator(fr_wire *w, const fr_run_settings *s, fr_err *err)
{
    run r = {.s = s, .w = w, .nodes = fr_wire_size(w) - 1, .size = (int)s->render_factor * 16,
             .smoothing = strcmp(s->stages.smoothing, "off") != 0};
    r.radius = fr_stage_context(&s->stages, 1);
    r.radius_given = fr_stage_context(&s->stages, 0);
    fr_stage_label(&s->stages, r.label, sizeof r.label);
    fr_pipeline_store_path(s, r.store_path, sizeof r.store_path);
    fr_node_config cfg = {0};
    fr_store_identity id = {0};
    char stage_canon[512] = "";
    uint8_t *params = NULL;
    size_t params_len = 0;
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
    r.progress = fr_progress_new(stderr);
    if (!r.jobs || !r.idle || !r.progress) {
        st = fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        goto early;
    }
    fr_stage_canonical(&s->stages, stage_canon, sizeof stage_canon);
    if ((st = fr_remux_check_output(s->output, codec, err)) != FR_OK ||
        (st = fr_store_lock_take(&r.lock, r.store_path, fr_launch_owner_pid(), err)) != FR_OK ||
        (st = fr_stage_settings_pack(&s->stages, cfg.stages, sizeof cfg.stages, err)) != FR_OK ||
        (st = fr_provenance_identity(s, stage_canon, &id, &r.total_guess, err)) != FR_OK ||
        (st = stream_params(s->input, &params, &params_len, err)) != FR_OK)
        goto early;
    if (s->stages.references && (st = fr_references_load(&r.refs, s->stages.references, r.size, id.rate_num, id.rate_den,
                                                  id.declared_frames, s->input, err)) != FR_OK)
        goto early;
    snprintf(cfg.model, sizeof cfg.model, "%s", s->model);
    snprintf(cfg.backend, sizeof cfg.backend, "%s", s->backend ? s->backend : "");
    snprintf(cfg.precision, sizeof cfg.precision, "%s", s->precision ? s->precision : "");
    snprintf(cfg.output, sizeof cfg.output, "%s", s->output);
    snprintf(cfg.codec, sizeof cfg.codec, "%s", s->codec ? s->codec : "");
    cfg.threads = (int32_t)s->threads;
    cfg.size = r.size;
    cfg.batch = (int32_t)s->batch;
    cfg.winograd = !strcmp(s->winograd, "on");
    cfg.shots_grid = s->shots.grid;
    cfg.shots_flat_sigma = s->shots.flat_sigma;
early:
    /* Nodes always get a configuration; an empty model tells them to stop at once. */
    if (st != FR_OK)
        cfg.model[0] = 0;
    {
        fr_err berr;
        if (fr_wire_bcast_config(w, &cfg, &berr) != FR_OK && st == FR_OK)
            st = fr_err_set(err, FR_ERR_MPI, "%s", berr.msg);
        else if (st == FR_OK && fr_wire_bcast_blob(w, &params, &params_len, &berr) != FR_OK)
            st = fr_err_set(err, FR_ERR_MPI, "%s", berr.msg);
    }
    if (st != FR_OK) {
        r.nodes = 0;
        goto done;
    }
    int resumed = 0;
    if ((st = agree_isa(&r, err)) != FR_OK) {
        r.nodes = 0; /* they stop on the refusal, or the job ends */
        goto done;
    }
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
    if (st == FR_OK)
        st = fr_muxer_parts_dir(r.store_path, err);
    if (st != FR_OK)
        goto done;
    if (r.refs)
        fr_info("coordinator", "%d reference frames from %s", r.refs->n, s->stages.references);
    for (int rank = 1; rank <= r.nodes; rank++)
        r.idle[r.n_idle++] = rank;
    r.stored_batches = fr_store_batch_count(r.store);
    r.stored_shots = fr_store_shot_count(r.store);
    r.stored_losses = fr_store_loss_count(r.store);
    fr_tags tags = {0};
    if ((st = record_provenance(&r, &id, &tags, err)) != FR_OK)
        goto done;
    fr_info("coordinator", "segments of at most %ld frames, with %d frames of context on each side (%d to re-encode one)",
            s->segment_frames, r.radius, r.radius_given);
    if (resumed)
        fr_info("coordinator", "resuming from %s (%lld segments planned before)", r.store_path, (long long)r.stored_batches);
    if ((st = fr_planner_start(&r.planner, s->input, (int)s->segment_frames, &s->shots, 2 * r.nodes + 2, FR_CHUNK_FRAMES,
                               2 * r.nodes + 2, (int)s->tolerate_damage, err)) != FR_OK ||
        (st = fr_packets_open(&r.packets, s->input, err)) != FR_OK ||
        (st = fr_packets_open(&r.apackets, s->input, err)) != FR_OK ||
        (st = fr_muxer_start(&r.mux, s->input, s->output, codec, &tags, r.store_path, err)) != FR_OK ||
        (st = schedule_loop(&r, err)) != FR_OK)
        goto done;
    fr_progress_event ev = {"encode", fr_muxer_frames_done(r.mux), fr_muxer_frames_done(r.mux), 0, 0};
    fr_progress_done(r.progress, &ev);
    fr_info("coordinator", "segments: %lld run, %lld already done in the store", (long long)r.segments_run,
            (long long)r.segments_skipped);
    fr_info("coordinator", "generator: %lld frames run (context included)", (long long)r.generated);
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
    fr_muxer_free(r.mux); /* stops it, removing its temporary file, if the run failed */
    if (r.nodes > 0)
        stop_nodes(&r);
    fr_planner_free(r.planner);
    fr_packets_free(r.packets);
    fr_packets_free(r.apackets);
    for (int i = 0; i < r.n_chunks; i++)
        free(r.chunks[i].pts);
    free(r.chunks);
    fr_store_refs_free(r.srefs);
    fr_store_free(r.store);
    fr_references_free(r.refs);
    fr_progress_free(r.progress);
    for (int rank = 0; r.jobs && rank <= fr_wire_size(w) - 1; rank++)
        job_release(&r.jobs[rank]);
    for (int64_t i = 0; i < r.n_rows; i++) {
        free(r.rows[i].pts);
        free(r.rows[i].part);
    }
    free(r.rows);
    free(r.shots);
    free(r.jobs);
    free(r.idle);
    free(params);
    fr_store_lock_free(r.lock); /* last: the store is closed */
    return st;
}
