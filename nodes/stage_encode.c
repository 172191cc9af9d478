/* stage_encode.c: the encode row of the stage table, the last: the segment's own frames are
 * decoded again at full size, each merged with its upsampled chroma and with the source's
 * luma (or the window's, when rows restored or regrained it), encoded by a fresh encoder
 * (fr_remux_segment: OUTPUT's codec, fixed threads and slices), and hashed for the sidecar. */
#include <stdlib.h>
#include <string.h>

#include "fr_pktlist.h"
#include "fr_remux.h"
#include "segment.h"
#include "stage.h"

typedef struct {
    fr_codec codec;
    const fr_node_config *cfg;
    const fr_video_info *info;
    const struct AVCodecParameters *par;
    fr_stage_frames *f;   /* during run */
    int64_t first;        /* film index of the segment's first frame */
    fr_plane narrow;      /* an 8-bit source's restored luma, narrowed again */
} encode;

static int enabled(const fr_stage_settings *s)
{
    (void)s;
    return 1;
}

static void close_encode(void *ctx)
{
    encode *e = ctx;
    if (e)
        fr_plane_release(&e->narrow);
    free(e);
}

static fr_status open_encode(void **ctx, const fr_stage *self, const fr_stage_env *env, fr_err *err)
{
    (void)self;
    encode *e = calloc(1, sizeof *e);
    if (!e)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    e->codec = FR_CODEC_AUTO;
    e->cfg = env->cfg;
    e->info = env->info;
    e->par = env->par;
    fr_status st = FR_OK;
    if (env->cfg->codec[0] && !fr_codec_parse(env->cfg->codec, &e->codec))
        st = fr_err_set(err, FR_ERR_ARG, "unknown codec %s", env->cfg->codec);
    if (st == FR_OK && env->info->bits <= 8)
        st = fr_plane_alloc(&e->narrow, env->info->width, env->info->height, 8, err);
    if (st != FR_OK) {
        close_encode(e);
        return st;
    }
    *ctx = e;
    return FR_OK;
}

static fr_status segment_chroma(void *ctx, const fr_frame *fr, uint8_t *chroma, fr_err *err)
{
    encode *e = ctx;
    (void)err;
    size_t frame = (size_t)e->cfg->size * e->cfg->size * 2;
    memcpy(chroma, e->f->chroma + frame * (size_t)(fr->index - e->first), frame);
    return FR_OK;
}

/* The window's luma for frame fr, as an fr_plane of the source's depth. */
static fr_status window_luma(void *ctx, const fr_frame *fr, fr_plane *out, fr_err *err)
{
    encode *e = ctx;
    const fr_luma_window *w = &e->f->luma;
    int64_t k = fr->index - w->first_index;
    if (k < 0 || k >= w->n)
        return fr_err_set(err, FR_ERR_INTERNAL, "encode: frame %lld is outside its window", (long long)fr->index);
    fr_luma_view(w, (int)k, &e->narrow, out);
    return FR_OK;
}

static fr_status run(void *ctx, fr_stage_frames *f, fr_err *err)
{
    encode *e = ctx;
    const fr_segment_job *j = f->job;
    e->f = f;
    e->first = j->h->start + j->h->out_first; /* the job's frames: f may be the chroma rows' view */
    fr_remux_opts ro = {.codec = e->codec, .chroma_size = e->cfg->size, .chroma = segment_chroma, .chroma_ctx = e,
                        .luma = f->luma.frame ? window_luma : NULL, .luma_ctx = e, .threads = e->cfg->threads};
    fr_video_in *in = NULL;
    fr_status st = fr_video_in_open_packets(&in, "segment", e->info, e->par, j->pkts, j->pkt_len, j->pts + j->h->out_first,
                                            f->out_count, e->first, 0, err);
    if (st == FR_OK)
        st = fr_remux_segment(in, e->cfg->output, &ro, f->encoded, f->digests, f->out_count, err);
    fr_video_in_free(in);
    return st;
}

const fr_stage fr_stage_encode = {
    .name = "encode",
    .datasets = "STORE.parts/ROW.part (each segment's encoded packets and frame digests)",
    .enabled = enabled,
    .open = open_encode,
    .run = run,
    .close = close_encode,
};
