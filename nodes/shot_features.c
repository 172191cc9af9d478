/* shot_features.c: a node's FEATURES job (shot_features.h). */
#include "shot_features.h"

#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>

#include "fr_shots_feat.h"
#include "fr_stream_params.h"
#include "fr_video_in.h"

struct fr_features_runner {
    int grid;
    float flat_sigma;
    fr_video_info info;
    AVCodecParameters *par;
    fr_thumber *thumber;
    int gw, gh;
    fr_thumb th;
    uint8_t *out;
    size_t out_cap;
};

fr_status fr_features_runner_new(fr_features_runner **out, const fr_node_config *cfg, const uint8_t *params,
                                 size_t params_len, fr_err *err)
{
    *out = NULL;
    fr_features_runner *r = calloc(1, sizeof *r);
    if (!r)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    r->grid = cfg->shots_grid;
    r->flat_sigma = cfg->shots_flat_sigma;
    fr_status st = fr_stream_params_unpack(params, params_len, &r->info, &r->par, err);
    if (st != FR_OK) {
        fr_features_runner_free(r);
        return st;
    }
    *out = r;
    return FR_OK;
}

void fr_features_runner_free(fr_features_runner *r)
{
    if (!r)
        return;
    avcodec_parameters_free(&r->par);
    fr_thumber_free(r->thumber);
    fr_thumb_release(&r->th);
    free(r->out);
    free(r);
}

size_t fr_features_record(int gw, int gh) { return sizeof(int32_t) + fr_thumb_bytes(gw, gh); }

/* The grid of the first decoded frame fixes the thumbnails' size for the run. */
static fr_status ready_for(fr_features_runner *r, const fr_plane *luma, fr_err *err)
{
    int gw, gh;
    fr_thumb_grid_size(luma->width, luma->height, r->grid, &gw, &gh);
    if (r->thumber && (gw != r->gw || gh != r->gh))
        return fr_err_set(err, FR_ERR_INPUT, "the picture size changed mid-stream (%dx%d)", luma->width, luma->height);
    if (r->thumber)
        return FR_OK;
    r->gw = gw;
    r->gh = gh;
    fr_status st = fr_thumber_new(&r->thumber, gw, gh, r->flat_sigma, err);
    return st != FR_OK ? st : fr_thumb_alloc(&r->th, gw, gh, err);
}

fr_status fr_features_run(fr_features_runner *r, const fr_msg *m, fr_features_send send, void *ctx, fr_err *err)
{
    const fr_msg_header *h = &m->h;
    size_t n = (size_t)h->count;
    int64_t pkt_len = 0;
    if (m->payload_len >= 8)
        memcpy(&pkt_len, m->payload, 8);
    if (m->payload_len < 8 + 8 * n || pkt_len < 0 || (uint64_t)pkt_len != m->payload_len - 8 - 8 * n ||
        h->out_first != 0 || h->out_count != h->count)
        return fr_err_set(err, FR_ERR_MPI, "features job %lld: payload does not match its header", (long long)h->batch);
    int64_t *pts = malloc(8 * n);
    if (!pts)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    memcpy(pts, m->payload + 8, 8 * n);
    fr_status st = FR_OK;
    for (size_t i = 1; i < n && st == FR_OK; i++)
        if (pts[i] <= pts[i - 1])
            st = fr_err_set(err, FR_ERR_MPI, "features job %lld: timestamps out of order", (long long)h->batch);
    fr_video_in *in = NULL;
    if (st == FR_OK)
        st = fr_video_in_open_packets(&in, "chunk", &r->info, r->par, m->payload + 8 + 8 * n, (size_t)pkt_len, pts,
                                      (int64_t)n, h->start, 1, err);
    /* records are written once the grid is known (the first whole frame); corrupt frames
     * before it wait as flags */
    uint8_t *corrupt = calloc(n ? n : 1, 1);
    size_t filled = 0;
    if (!corrupt && st == FR_OK)
        st = fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    fr_frame f;
    while (st == FR_OK && (st = fr_video_in_read(in, &f, err)) == FR_OK) {
        size_t i = (size_t)(f.index - h->start);
        corrupt[i] = (uint8_t)f.corrupt;
        if (f.corrupt)
            continue;
        if ((st = ready_for(r, &f.luma, err)) != FR_OK)
            break;
        size_t rec = fr_features_record(r->gw, r->gh), need = 8 + rec * n;
        if (need > r->out_cap) {
            uint8_t *b = realloc(r->out, need);
            if (!b) {
                st = fr_err_set(err, FR_ERR_NOMEM, "out of memory");
                break;
            }
            r->out = b;
            r->out_cap = need;
        }
        if (!filled) {
            memset(r->out, 0, need);
            filled = need;
        }
        if ((st = fr_thumb_make(r->thumber, &f.luma, &r->th, err)) != FR_OK)
            break;
        fr_thumb_pack(&r->th, r->gw, r->gh, r->out + 8 + rec * i + sizeof(int32_t));
    }
    fr_video_in_free(in);
    free(pts);
    if (st == FR_EOF && !r->thumber)
        st = fr_err_set(err, FR_ERR_INPUT, "no frame of chunk %lld decodes", (long long)h->batch);
    if (st == FR_EOF) {
        size_t rec = fr_features_record(r->gw, r->gh);
        if (!filled) /* every frame corrupt: the grid is known from earlier chunks */
            memset(r->out, 0, 8 + rec * n > r->out_cap ? 0 : 8 + rec * n);
        int32_t g[2] = {r->gw, r->gh};
        memcpy(r->out, g, 8);
        for (size_t i = 0; i < n; i++) {
            int32_t c = corrupt[i];
            memcpy(r->out + 8 + rec * i, &c, sizeof c);
        }
        st = 8 + rec * n <= r->out_cap ? send(ctx, r->out, 8 + rec * n, err)
                                       : fr_err_set(err, FR_ERR_INPUT, "no frame of chunk %lld decodes", (long long)h->batch);
    }
    free(corrupt);
    return st;
}

fr_status fr_features_parse_result(const fr_msg *m, const fr_msg_header *sent, int *gw, int *gh, fr_err *err)
{
    int32_t g[2] = {0, 0};
    if (m->payload_len >= 8)
        memcpy(g, m->payload, 8);
    if (g[0] < 2 || g[1] < 2 || g[0] > FR_SHOTS_MAX_GRID || g[1] > FR_SHOTS_MAX_GRID || m->h.batch != sent->batch ||
        m->h.count != sent->count || m->payload_len != 8 + fr_features_record(g[0], g[1]) * (size_t)sent->count)
        return fr_err_set(err, FR_ERR_MPI, "features of chunk %lld from node %d do not match the job", (long long)sent->batch,
                          m->source);
    *gw = g[0];
    *gh = g[1];
    return FR_OK;
}
