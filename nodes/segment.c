/* segment.c: a node's SEGMENT job (segment.h): the stage table's rows (stage.h), run in
 * order on the job's window.
 *
 * The runner opens every enabled row once. Per job it decides which rows run (a job that
 * brings its chroma skips the rows that make chroma; only a shot with references is
 * guided), and prepares what they read: without a restoration row, the first pass renders
 * every frame of the window gray straight from the decoder, so a node holds render-size
 * planes only; with one, the window's luma is decoded at full size into 16-bit planes,
 * restored there, and rendered gray after the last luma row. The encode row decodes the
 * segment's own frames again, and merges each with its chroma and with that (restored)
 * luma. */
#include "segment.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavcodec/avcodec.h>

#include "fr_pktlist.h"
#include "fr_stream_params.h"
#include "fr_video_in.h"
#include "stage.h"

struct fr_segment_runner {
    fr_node_config cfg;
    char *settings_text;       /* fr_stage_settings point into it */
    fr_stage_settings settings;
    fr_video_info info;
    AVCodecParameters *par;
    fr_renderer *render;
    const fr_stage *row[FR_STAGE_MAX]; /* the enabled rows, in order */
    void *ctx[FR_STAGE_MAX];
    double seconds[FR_STAGE_MAX]; /* each row's wall time, for the node's log */
    int rows;
    int chroma_radius;         /* context the chroma rows read around the segment */
    uint8_t *gray, *raw, *out; /* window-sized buffers, grown as needed */
    size_t cap;                /* frames they hold */
    uint16_t *planes;          /* full-size luma: 2 * lcap planes */
    uint16_t **luma, **spare;  /* lcap pointers each */
    size_t lcap;
    fr_plane narrow;           /* a restored plane at the source's depth, for the renderer */
};

fr_status fr_segment_parse(const fr_msg *m, fr_segment_job *job, void **owned, fr_err *err)
{
    *owned = NULL;
    memset(job, 0, sizeof *job);
    const fr_msg_header *h = &m->h;
    fr_segment_head head;
    if (m->payload_len < sizeof head)
        return fr_err_set(err, FR_ERR_MPI, "segment %lld: payload too short", (long long)h->batch);
    memcpy(&head, m->payload, sizeof head);
    size_t plane = (size_t)h->size * (size_t)h->size, n = (size_t)h->count;
    if (head.nref < 0 || head.nref > h->count || head.pkt_len < 0 || (head.flags & ~FR_SEGMENT_CHROMA_GIVEN) ||
        (head.nref && (h->out_first != 0 || h->out_count != h->count)))
        return fr_err_set(err, FR_ERR_MPI, "segment %lld: malformed head", (long long)h->batch);
    size_t nref = (size_t)head.nref;
    size_t given = head.flags & FR_SEGMENT_CHROMA_GIVEN ? plane * 2 * (size_t)h->out_count : 0;
    size_t need = sizeof head + 8 * n + 4 * nref + plane * 2 * nref + given;
    if (need > m->payload_len || m->payload_len - need != (uint64_t)head.pkt_len)
        return fr_err_set(err, FR_ERR_MPI, "segment %lld: payload of %zu bytes does not match its head", (long long)h->batch,
                          m->payload_len);
    uint8_t *copy = malloc(8 * n + 4 * nref + 1);
    if (!copy)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    memcpy(copy, m->payload + sizeof head, 8 * n + 4 * nref);
    int64_t *pts = (int64_t *)copy;
    int32_t *at = (int32_t *)(copy + 8 * n);
    for (size_t i = 1; i < n; i++)
        if (pts[i] <= pts[i - 1]) {
            free(copy);
            return fr_err_set(err, FR_ERR_MPI, "segment %lld: timestamps out of order", (long long)h->batch);
        }
    for (size_t i = 0; i < nref; i++)
        if (at[i] < 0 || at[i] >= h->count || (i && at[i] <= at[i - 1])) {
            free(copy);
            return fr_err_set(err, FR_ERR_MPI, "segment %lld: reference positions out of order", (long long)h->batch);
        }
    job->h = h;
    job->pts = pts;
    job->at = at;
    job->nref = (int)nref;
    job->ref = m->payload + sizeof head + 8 * n + 4 * nref;
    job->given = given ? job->ref + plane * 2 * nref : NULL;
    job->pkts = job->ref + plane * 2 * nref + given;
    job->pkt_len = (size_t)head.pkt_len;
    *owned = copy;
    return FR_OK;
}

fr_status fr_segment_parse_result(const fr_msg *m, const fr_msg_header *sent, int guided, fr_segment_result *r,
                                  fr_err *err)
{
    size_t plane = (size_t)sent->size * (size_t)sent->size, n = (size_t)sent->out_count;
    size_t fixed = plane * 2 * n + 16 * n + (guided ? plane * 2 * n : 0);
    if (m->h.batch != sent->batch || m->h.out_count != sent->out_count || m->payload_len < fixed)
        return fr_err_set(err, FR_ERR_MPI, "segment %lld: result from node %d does not match its job", (long long)sent->batch,
                          m->source);
    r->chroma = m->payload;
    r->digests = m->payload + plane * 2 * n;
    r->unguided = guided ? r->digests + 16 * n : NULL;
    r->pkts = m->payload + fixed;
    r->pkt_len = m->payload_len - fixed;
    int64_t k = fr_pktlist_check(r->pkts, r->pkt_len);
    if (k < (int64_t)n)
        return fr_err_set(err, FR_ERR_MPI, "segment %lld: node %d sent %lld packets for %zu frames", (long long)sent->batch,
                          m->source, (long long)k, n);
    return FR_OK;
}

fr_status fr_segment_runner_new(fr_segment_runner **out, const fr_node_config *cfg, const uint8_t *params,
                                size_t params_len, struct fr_generator *gen, fr_err *err)
{
    *out = NULL;
    fr_segment_runner *r = calloc(1, sizeof *r);
    if (!r)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    r->cfg = *cfg;
    fr_status st = FR_OK;
    if (!memchr(cfg->stages, 0, sizeof cfg->stages))
        st = fr_err_set(err, FR_ERR_MPI, "the stages' settings from the coordinator are not terminated");
    else if (!(r->settings_text = strdup(cfg->stages)))
        st = fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    if (st == FR_OK)
        st = fr_stage_settings_unpack(&r->settings, r->settings_text, err);
    if (st == FR_OK)
        st = fr_stream_params_unpack(params, params_len, &r->info, &r->par, err);
    if (st == FR_OK)
        st = fr_renderer_new(&r->render, cfg->size, err);
    if (st == FR_OK && r->info.bits <= 8)
        st = fr_plane_alloc(&r->narrow, r->info.width, r->info.height, 8, err);
    if (st == FR_OK)
        r->chroma_radius = fr_stage_context(&r->settings, 1) - fr_stage_context(&r->settings, 0);
    fr_stage_env env = {.cfg = &r->cfg, .settings = &r->settings, .info = &r->info, .par = r->par, .gen = gen};
    for (size_t i = 0; st == FR_OK && i < fr_stage_count; i++) {
        const fr_stage *row = fr_stages[i];
        if (!row->enabled(&r->settings))
            continue;
        if ((st = row->open(&r->ctx[r->rows], row, &env, err)) == FR_OK)
            r->row[r->rows++] = row;
    }
    if (st != FR_OK) {
        fr_segment_runner_free(r);
        return st;
    }
    *out = r;
    return FR_OK;
}

void fr_segment_runner_times(const fr_segment_runner *r, char *buf, size_t len)
{
    size_t k = 0;
    buf[0] = 0;
    for (int i = 0; i < r->rows && k < len; i++) {
        int w = snprintf(buf + k, len - k, "%s%s %.2f s", i ? ", " : "", r->row[i]->name, r->seconds[i]);
        if (w < 0)
            break;
        k += (size_t)w;
    }
}

void fr_segment_runner_free(fr_segment_runner *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->rows; i++)
        r->row[i]->close(r->ctx[i]);
    avcodec_parameters_free(&r->par);
    fr_renderer_free(r->render);
    fr_plane_release(&r->narrow);
    free(r->settings_text);
    free(r->gray);
    free(r->raw);
    free(r->out);
    free(r->planes);
    free(r->luma);
    free(r->spare);
    free(r);
}

static fr_status reserve(fr_segment_runner *r, size_t n, size_t n_out, fr_err *err)
{
    size_t plane = (size_t)r->cfg.size * r->cfg.size;
    if (n > r->cap) {
        uint8_t *b[2] = {realloc(r->gray, plane * n), NULL};
        if (b[0])
            r->gray = b[0];
        b[1] = realloc(r->raw, plane * 2 * n);
        if (b[1])
            r->raw = b[1];
        if (!b[0] || !b[1])
            return fr_err_set(err, FR_ERR_NOMEM, "out of memory for a window of %zu frames", n);
        r->cap = n;
    }
    /* the answer: chroma, digests and (guided) the unguided chroma, contiguous; sized for
     * the window, which the segment never exceeds */
    uint8_t *o = realloc(r->out, (plane * 4 + 16) * (n > n_out ? n : n_out));
    if (!o)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory for a window of %zu frames", n);
    r->out = o;
    return FR_OK;
}

/* 2 * n full-size 16-bit planes: the window's luma and a filter's output. */
static fr_status reserve_luma(fr_segment_runner *r, size_t n, fr_err *err)
{
    if (n <= r->lcap)
        return FR_OK;
    size_t px = (size_t)r->info.width * r->info.height;
    free(r->planes);
    free(r->luma);
    free(r->spare);
    r->planes = malloc(px * 2 * sizeof *r->planes * n);
    r->luma = malloc(sizeof *r->luma * n);
    r->spare = malloc(sizeof *r->spare * n);
    r->lcap = 0;
    if (!r->planes || !r->luma || !r->spare)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory for %zu full-size frames of %dx%d", n, r->info.width,
                          r->info.height);
    r->lcap = n;
    return FR_OK;
}

/* The window's frames: rendered gray at once (gray set), or widened into the luma planes. */
static fr_status decode_window(fr_segment_runner *r, const fr_segment_job *j, uint8_t *gray, fr_luma_window *luma,
                               fr_err *err)
{
    fr_video_in *in = NULL;
    size_t plane = (size_t)r->cfg.size * r->cfg.size;
    fr_status st = fr_video_in_open_packets(&in, "segment", &r->info, r->par, j->pkts, j->pkt_len, j->pts, j->h->count,
                                            j->h->start, 0, err);
    fr_frame f;
    while (st == FR_OK && (st = fr_video_in_read(in, &f, err)) == FR_OK) {
        size_t k = (size_t)(f.index - j->h->start);
        if (gray) {
            st = fr_renderer_gray(r->render, &f.luma, r->info.full_range, gray + plane * k, err);
            continue;
        }
        fr_luma_widen(&f.luma, luma->frame[k]);
    }
    fr_video_in_free(in);
    return st == FR_EOF ? FR_OK : st;
}

/* The gray of the (restored) luma planes [lo, hi). */
static fr_status render_luma(fr_segment_runner *r, const fr_luma_window *w, int lo, int hi, uint8_t *gray, fr_err *err)
{
    size_t plane = (size_t)r->cfg.size * r->cfg.size;
    for (int k = lo; k < hi; k++) {
        fr_plane p;
        fr_luma_view(w, k, &r->narrow, &p);
        fr_status st = fr_renderer_gray(r->render, &p, r->info.full_range, gray + plane * (size_t)k, err);
        if (st != FR_OK)
            return st;
    }
    return FR_OK;
}

/* Whether row i runs on this job. */
static int runs(const fr_stage *row, const fr_segment_job *j)
{
    if ((row->flags & FR_STAGE_MAKES_CHROMA) && j->given)
        return 0;
    return !(row->flags & FR_STAGE_REFERENCES) || j->nref > 0;
}

fr_status fr_segment_run(fr_segment_runner *r, const fr_segment_job *j, fr_segment_send send, void *ctx, fr_err *err)
{
    const fr_msg_header *h = j->h;
    if (h->size != r->cfg.size)
        return fr_err_set(err, FR_ERR_MPI, "segment %lld: render size %d, configured %d", (long long)h->batch, h->size,
                          r->cfg.size);
    size_t frame = (size_t)h->size * h->size * 2, n_out = (size_t)h->out_count;
    unsigned needs = 0;
    for (int i = 0; i < r->rows; i++)
        needs |= runs(r->row[i], j) ? r->row[i]->flags : 0;
    fr_pktlist encoded = {0};
    fr_stage_frames f = {.job = j, .n = h->count, .out_first = h->out_first, .out_count = h->out_count, .size = h->size,
                         .encoded = &encoded};
    fr_status st = reserve(r, (size_t)h->count, n_out, err);
    if (st == FR_OK && (needs & FR_STAGE_NEEDS_LUMA) && (st = reserve_luma(r, (size_t)h->count, err)) == FR_OK) {
        size_t px = (size_t)r->info.width * r->info.height;
        for (int k = 0; k < h->count; k++) {
            r->luma[k] = r->planes + px * (size_t)k;
            r->spare[k] = r->planes + px * (size_t)(h->count + k);
        }
        f.luma = (fr_luma_window){.width = r->info.width, .height = r->info.height, .bits = r->info.bits,
                                  .full_range = r->info.full_range, .n = h->count, .first_index = h->start,
                                  .frame = r->luma};
        f.spare = f.luma;
        f.spare.frame = r->spare;
        st = decode_window(r, j, NULL, &f.luma, err);
    } else if (st == FR_OK && (needs & FR_STAGE_NEEDS_GRAY)) {
        st = decode_window(r, j, r->gray, NULL, err);
    }
    f.gray = r->gray;
    f.raw = r->raw;
    f.chroma = r->out;
    f.digests = r->out + frame * n_out;
    f.unguided = f.digests + 16 * n_out;
    if (st == FR_OK && j->given)
        memcpy(f.chroma, j->given, frame * n_out);
    /* The chroma rows see only the frames they read: the segment and their own context.
     * The window's further frames are the luma rows' context (their outputs there are not
     * exact), so neither the generator nor the smoother runs on them. */
    size_t plane = (size_t)h->size * h->size;
    int c_lo = h->out_first - r->chroma_radius > 0 ? h->out_first - r->chroma_radius : 0;
    int c_hi = h->out_first + h->out_count + r->chroma_radius < h->count ? h->out_first + h->out_count + r->chroma_radius
                                                                          : h->count;
    fr_stage_frames cf = f;
    cf.n = c_hi - c_lo;
    cf.out_first = h->out_first - c_lo;
    cf.gray = f.gray + plane * (size_t)c_lo;
    cf.raw = f.raw + plane * 2 * (size_t)c_lo;
    int gray_ready = !(needs & FR_STAGE_NEEDS_LUMA);
    for (int i = 0; st == FR_OK && i < r->rows; i++) {
        const fr_stage *row = r->row[i];
        if (!runs(row, j))
            continue;
        if (!gray_ready && (row->flags & FR_STAGE_NEEDS_GRAY) && (needs & FR_STAGE_NEEDS_GRAY)) {
            st = render_luma(r, &f.luma, c_lo, c_hi, f.gray, err);
            gray_ready = 1;
        }
        cf.luma = f.luma; /* as the luma rows left it */
        cf.spare = f.spare;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (st == FR_OK)
            st = row->run(r->ctx[i], (row->flags & FR_STAGE_NEEDS_LUMA) ? &f : &cf, err);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        r->seconds[i] += (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    }
    if (st == FR_OK)
        st = send(ctx, r->out, (frame + 16 + (j->nref ? frame : 0)) * n_out, encoded.data, encoded.len, err);
    fr_pktlist_release(&encoded);
    return st;
}
