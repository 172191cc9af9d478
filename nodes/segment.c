/* segment.c: a node's SEGMENT job (segment.h).
 *
 * The packets are decoded twice, which costs little beside the generator and keeps a
 * node's memory to render-size planes: the first pass renders every frame of the
 * window gray; the generator, the guide and the smoother work on those; the second
 * pass decodes the segment's own frames again at full size, and fr_remux_segment
 * merges each with its chroma and encodes it. */
#include "segment.h"

#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>

#include "fr_generator.h"
#include "fr_pktlist.h"
#include "fr_remux.h"
#include "fr_stream_params.h"
#include "fr_video_in.h"
#include "guide.h"
#include "smooth.h"

struct fr_segment_runner {
    fr_node_config cfg;
    fr_codec codec;
    fr_video_info info;
    AVCodecParameters *par;
    fr_generator *gen;
    fr_smooth *smooth;
    fr_guide *guide;          /* made at the first guided shot */
    fr_renderer *render;
    uint8_t *gray, *raw, *work, *out; /* window-sized buffers, grown as needed */
    size_t cap;               /* frames they hold */
    const uint8_t *final;     /* the segment's chroma, during the second pass */
    int64_t first;            /* its first frame */
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
    size_t given = head.flags & FR_SEGMENT_CHROMA_GIVEN ? plane * 2 * n : 0;
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
                                size_t params_len, fr_generator *gen, fr_smooth *smooth, fr_err *err)
{
    *out = NULL;
    fr_segment_runner *r = calloc(1, sizeof *r);
    if (!r)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    r->cfg = *cfg;
    r->gen = gen;
    r->smooth = smooth;
    r->codec = FR_CODEC_AUTO;
    fr_status st = FR_OK;
    if (cfg->codec[0] && !fr_codec_parse(cfg->codec, &r->codec))
        st = fr_err_set(err, FR_ERR_ARG, "unknown codec %s", cfg->codec);
    if (st == FR_OK)
        st = fr_stream_params_unpack(params, params_len, &r->info, &r->par, err);
    if (st == FR_OK)
        st = fr_renderer_new(&r->render, cfg->size, err);
    if (st != FR_OK) {
        fr_segment_runner_free(r);
        return st;
    }
    *out = r;
    return FR_OK;
}

void fr_segment_runner_free(fr_segment_runner *r)
{
    if (!r)
        return;
    avcodec_parameters_free(&r->par);
    fr_guide_free(r->guide);
    fr_renderer_free(r->render);
    free(r->gray);
    free(r->raw);
    free(r->work);
    free(r->out);
    free(r);
}

static fr_status reserve(fr_segment_runner *r, size_t n, fr_err *err)
{
    if (n <= r->cap)
        return FR_OK;
    size_t plane = (size_t)r->cfg.size * r->cfg.size;
    uint8_t *b[4] = {realloc(r->gray, plane * n), NULL, NULL, NULL};
    if (b[0])
        r->gray = b[0];
    b[1] = realloc(r->raw, plane * 2 * n);
    if (b[1])
        r->raw = b[1];
    b[2] = realloc(r->work, plane * 2 * n);
    if (b[2])
        r->work = b[2];
    b[3] = realloc(r->out, (plane * 4 + 16) * n);
    if (b[3])
        r->out = b[3];
    if (!b[0] || !b[1] || !b[2] || !b[3])
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory for a window of %zu frames", n);
    r->cap = n;
    return FR_OK;
}

static fr_status segment_chroma(void *ctx, const fr_frame *f, uint8_t *chroma, fr_err *err)
{
    fr_segment_runner *r = ctx;
    (void)err;
    size_t frame = (size_t)r->cfg.size * r->cfg.size * 2;
    memcpy(chroma, r->final + frame * (size_t)(f->index - r->first), frame);
    return FR_OK;
}

/* Pass 1: the window's frames, rendered gray. */
static fr_status render_window(fr_segment_runner *r, const fr_segment_job *j, fr_err *err)
{
    fr_video_in *in = NULL;
    size_t plane = (size_t)r->cfg.size * r->cfg.size;
    fr_status st = fr_video_in_open_packets(&in, "segment", &r->info, r->par, j->pkts, j->pkt_len, j->pts, j->h->count,
                                            j->h->start, 0, err);
    fr_frame f;
    while (st == FR_OK && (st = fr_video_in_read(in, &f, err)) == FR_OK)
        st = fr_renderer_gray(r->render, &f.luma, r->info.full_range, r->gray + plane * (size_t)(f.index - j->h->start),
                              err);
    fr_video_in_free(in);
    return st == FR_EOF ? FR_OK : st;
}

/* The generator, in --batch pieces from the window's start. */
static fr_status colorize_window(fr_segment_runner *r, int n, fr_err *err)
{
    size_t plane = (size_t)r->cfg.size * r->cfg.size;
    int batch = r->cfg.batch > 0 ? r->cfg.batch : 1;
    for (int i = 0; i < n; i += batch) {
        int k = n - i < batch ? n - i : batch;
        fr_status st = fr_generator_colorize(r->gen, r->gray + plane * (size_t)i, k, r->cfg.size,
                                             r->raw + plane * 2 * (size_t)i, err);
        if (st != FR_OK)
            return st;
    }
    return FR_OK;
}

/* A shot with references: guided from the (smoothed) model chroma, which it keeps in
 * unguided, smoothed again as the model's was, then each reference frame put back as
 * painted. */
static fr_status guide_shot(fr_segment_runner *r, const fr_segment_job *j, const uint8_t *unguided, uint8_t *out,
                            fr_err *err)
{
    int n = j->h->count;
    size_t frame = (size_t)r->cfg.size * r->cfg.size * 2;
    fr_status st = FR_OK;
    if (!r->guide)
        st = fr_guide_new(&r->guide, r->cfg.size, r->cfg.threads, err);
    if (st == FR_OK)
        st = fr_guide_shot(r->guide, r->gray, unguided, n, j->at, j->ref, j->nref, r->work, err);
    if (st == FR_OK)
        st = fr_smooth_run(r->smooth, r->gray, r->work, n, 0, n, out, err);
    for (int k = 0; st == FR_OK && k < j->nref; k++)
        memcpy(out + frame * (size_t)j->at[k], j->ref + frame * (size_t)k, frame);
    return st;
}

fr_status fr_segment_run(fr_segment_runner *r, const fr_segment_job *j, fr_segment_send send, void *ctx, fr_err *err)
{
    const fr_msg_header *h = j->h;
    if (h->size != r->cfg.size)
        return fr_err_set(err, FR_ERR_MPI, "segment %lld: render size %d, configured %d", (long long)h->batch, h->size,
                          r->cfg.size);
    size_t frame = (size_t)h->size * h->size * 2, n_out = (size_t)h->out_count;
    fr_status st = reserve(r, (size_t)h->count, err);
    if (st == FR_OK && (j->nref || !j->given)) /* gray: for the generator, the guide and the smoother */
        st = render_window(r, j, err);
    if (st == FR_OK && !j->given)
        st = colorize_window(r, h->count, err);
    uint8_t *chroma = r->out, *digests = r->out + frame * n_out, *unguided = digests + 16 * n_out;
    if (st == FR_OK && j->nref) {
        if (j->given)
            memcpy(unguided, j->given, frame * n_out);
        else
            st = fr_smooth_run(r->smooth, r->gray, r->raw, h->count, 0, h->count, unguided, err);
        if (st == FR_OK)
            st = guide_shot(r, j, unguided, chroma, err);
    } else if (st == FR_OK && j->given) {
        memcpy(chroma, j->given + frame * (size_t)h->out_first, frame * n_out);
    } else if (st == FR_OK) {
        st = fr_smooth_run(r->smooth, r->gray, r->raw, h->count, h->out_first, h->out_count, chroma, err);
    }
    if (st != FR_OK)
        return st;
    fr_video_in *in = NULL;
    fr_pktlist encoded = {0};
    r->final = chroma;
    r->first = h->start + h->out_first;
    fr_remux_opts ro = {.codec = r->codec, .chroma_size = h->size, .chroma = segment_chroma, .chroma_ctx = r,
                        .threads = r->cfg.threads};
    st = fr_video_in_open_packets(&in, "segment", &r->info, r->par, j->pkts, j->pkt_len, j->pts + h->out_first,
                                  h->out_count, r->first, 0, err);
    if (st == FR_OK)
        st = fr_remux_segment(in, r->cfg.output, &ro, &encoded, digests, h->out_count, err);
    fr_video_in_free(in);
    if (st == FR_OK)
        st = send(ctx, r->out, (frame + 16 + (j->nref ? frame : 0)) * n_out, encoded.data, encoded.len, err);
    fr_pktlist_release(&encoded);
    return st;
}
