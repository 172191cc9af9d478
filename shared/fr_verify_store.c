/* fr_verify_store.c: an output checked frame by frame against its source and store
 * (fr_verify_store.h).
 *
 * fr_remux runs in verify mode over the source, with the store's chroma as its chroma
 * source; each frame it builds arrives in on_built(), which decodes the output's next
 * frame and compares the two plane by plane. */
#include "fr_verify_store.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>

#include "fr_remux.h"
#include "fr_store.h"
#include "fr_store_refs.h"
#include "fr_verify_streams.h"
#include "fr_video_in.h"

/* The output's video, decoded one frame at a time. */
typedef struct {
    AVFormatContext *fmt;
    AVCodecContext *dec;
    AVPacket *pkt;
    AVFrame *frame;
    int stream, flushed;
} out_reader;

static fr_status reader_open(out_reader *o, const char *path, fr_codec *codec, fr_err *err)
{
    int ret = avformat_open_input(&o->fmt, path, NULL, NULL);
    if (ret < 0 || (ret = avformat_find_stream_info(o->fmt, NULL)) < 0)
        return fr_err_av(err, FR_ERR_INPUT, ret, path);
    const AVCodec *c = NULL;
    o->stream = av_find_best_stream(o->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &c, 0);
    if (o->stream < 0 || !c)
        return fr_err_set(err, FR_ERR_INPUT, "%s: no decodable video stream", path);
    *codec = fr_codec_of_id(o->fmt->streams[o->stream]->codecpar->codec_id);
    o->pkt = av_packet_alloc();
    o->frame = av_frame_alloc();
    o->dec = avcodec_alloc_context3(c);
    if (!o->pkt || !o->frame || !o->dec)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    if (avcodec_parameters_to_context(o->dec, o->fmt->streams[o->stream]->codecpar) < 0 ||
        avcodec_open2(o->dec, c, NULL) < 0)
        return fr_err_set(err, FR_ERR_INPUT, "%s: cannot open its %s decoder", path, c->name);
    return FR_OK;
}

/* The next frame into o->frame; FR_EOF after the last. */
static fr_status reader_next(out_reader *o, fr_err *err)
{
    av_frame_unref(o->frame);
    for (;;) {
        int ret = avcodec_receive_frame(o->dec, o->frame);
        if (ret == 0)
            return FR_OK;
        if (ret == AVERROR_EOF)
            return FR_EOF;
        if (ret != AVERROR(EAGAIN))
            return fr_err_av(err, FR_ERR_INPUT, ret, "decoding the output");
        if (o->flushed)
            return FR_EOF;
        ret = av_read_frame(o->fmt, o->pkt);
        if (ret == AVERROR_EOF) {
            avcodec_send_packet(o->dec, NULL);
            o->flushed = 1;
            continue;
        }
        if (ret < 0)
            return fr_err_av(err, FR_ERR_INPUT, ret, "reading the output");
        if (o->pkt->stream_index == o->stream && (ret = avcodec_send_packet(o->dec, o->pkt)) < 0) {
            av_packet_unref(o->pkt);
            return fr_err_av(err, FR_ERR_INPUT, ret, "decoding the output");
        }
        av_packet_unref(o->pkt);
    }
}

static void reader_close(out_reader *o)
{
    av_frame_free(&o->frame);
    av_packet_free(&o->pkt);
    avcodec_free_context(&o->dec);
    avformat_close_input(&o->fmt);
}

typedef struct {
    const char *output;
    const char *store_path;
    fr_store *store;
    fr_store_refs *refs;
    out_reader out;
    fr_verify_report *rep;
    int64_t frames;  /* in the store */
    int64_t shot;    /* the shot of the last frame asked for */
    fr_shot cur;
    int guided;      /* the store says that shot's chroma is guided by references */
    int64_t *pts;    /* the store's /timestamps, in the source's time base */
    AVRational src_tb;
    int pictures;    /* PNG or TIFF: no timestamps to compare */
} verify;

/* Keeps v->cur on the shot holding frame i (frames are asked for in order). */
static fr_status find_shot(verify *v, int64_t i, fr_err *err)
{
    while (v->shot < 0 || i >= v->cur.end) {
        if (++v->shot >= fr_store_shot_count(v->store))
            return fr_err_set(err, FR_ERR_MISMATCH, "store: frame %lld lies in no shot", (long long)i);
        fr_status st = fr_store_shot(v->store, v->shot, &v->cur, err);
        if (st != FR_OK)
            return st;
        if ((v->guided = fr_store_refs_guided(v->refs, v->shot)) < 0)
            return fr_err_set(err, FR_ERR_STORE, "store: cannot read shot %lld's guidance", (long long)v->shot);
        v->rep->guided_shots += v->guided;
    }
    return FR_OK;
}

/* The chroma the run encoded for frame f: guided, smoothed or raw. */
static fr_status store_chroma(void *ctx, const fr_frame *f, uint8_t *chroma, fr_err *err)
{
    verify *v = ctx;
    if (f->index >= v->frames)
        return fr_err_set(err, FR_ERR_MISMATCH, "the source now has more frames than the store's %lld", (long long)v->frames);
    fr_status st = find_shot(v, f->index, err);
    if (st != FR_OK)
        return st;
    if (v->guided)
        return fr_store_refs_read(v->refs, f->index, 1, chroma, err);
    return v->rep->smoothed ? fr_store_read_smoothed(v->store, f->index, 1, chroma, err)
                            : fr_store_read_frames(v->store, f->index, 1, NULL, chroma, err);
}

/* Plane p of two frames of one format: the first differing sample's position (exact
 * mode), or the summed squared error and sample count (*sse, *n). */
static int plane_differs(const AVFrame *a, const AVFrame *b, int p, int *x_at, int *y_at, double *sse, double *n)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(a->format);
    int h = p == 1 || p == 2 ? AV_CEIL_RSHIFT(a->height, d->log2_chroma_h) : a->height;
    int bytes = av_image_get_linesize(a->format, a->width, p);
    int wide = d->comp[0].depth > 8;
    int differs = 0;
    for (int y = 0; y < h; y++) {
        const uint8_t *ra = a->data[p] + (ptrdiff_t)y * a->linesize[p], *rb = b->data[p] + (ptrdiff_t)y * b->linesize[p];
        if (!memcmp(ra, rb, (size_t)bytes))
            continue;
        if (!differs) {
            int x = 0;
            while (x < bytes && ra[x] == rb[x])
                x++;
            *x_at = wide ? x / 2 : x;
            *y_at = y;
        }
        differs = 1;
        for (int x = 0; x < bytes / (wide ? 2 : 1); x++) {
            double e = wide ? (double)((const uint16_t *)ra)[x] - ((const uint16_t *)rb)[x] : (double)ra[x] - rb[x];
            *sse += e * e;
        }
    }
    *n += (double)h * (bytes / (wide ? 2 : 1));
    return differs;
}

static double psnr(double sse, double n, int depth)
{
    double peak = (double)((1 << depth) - 1);
    return sse <= 0 || n <= 0 ? INFINITY : 10.0 * log10(peak * peak * n / sse);
}

/* The decoder names a full-range H.264 picture yuvj420p; the samples are yuv420p's. */
static int unjpeg(int f)
{
    switch (f) {
    case AV_PIX_FMT_YUVJ420P: return AV_PIX_FMT_YUV420P;
    case AV_PIX_FMT_YUVJ422P: return AV_PIX_FMT_YUV422P;
    case AV_PIX_FMT_YUVJ444P: return AV_PIX_FMT_YUV444P;
    default: return f;
    }
}

/* One frame as the run built it against the output's frame. */
static fr_status on_built(void *ctx, const AVFrame *want, int64_t index, fr_err *err)
{
    verify *v = ctx;
    fr_status st = reader_next(&v->out, err);
    if (st == FR_EOF)
        return fr_err_set(err, FR_ERR_MISMATCH, "%s: ends after %lld frames; the source and the store have more",
                          v->output, (long long)index);
    if (st != FR_OK)
        return st;
    const AVFrame *got = v->out.frame;
    if (want->pts != v->pts[index])
        return fr_err_set(err, FR_ERR_MISMATCH, "store %s: frame %lld is at %lld in its /timestamps, at %lld in the source",
                          v->store_path, (long long)index, (long long)v->pts[index], (long long)want->pts);
    AVRational out_tb = v->out.fmt->streams[v->out.stream]->time_base;
    int64_t want_pts = av_rescale_q(want->pts, v->src_tb, out_tb), got_pts = got->best_effort_timestamp;
    /* within a millisecond: MP4's edit list, in its movie's 1/1000 s, may move the whole
     * track by less than that (a start that is not on a millisecond) */
    double off = got_pts == AV_NOPTS_VALUE ? INFINITY : fabs((double)(got_pts - want_pts) * av_q2d(out_tb));
    if (!v->pictures && off > 0.001 && got_pts != want_pts)
        return fr_err_set(err, FR_ERR_MISMATCH, "%s: frame %lld is at %.6f s, the source's and the store's at %.6f s (retimed?)",
                          v->output, (long long)index, got_pts == AV_NOPTS_VALUE ? NAN : got_pts * av_q2d(out_tb),
                          want_pts * av_q2d(out_tb));
    if (unjpeg(got->format) != unjpeg(want->format) || got->width != want->width || got->height != want->height)
        return fr_err_set(err, FR_ERR_MISMATCH, "%s: frame %lld is %dx%d %s, the run built %dx%d %s", v->output,
                          (long long)index, got->width, got->height, av_get_pix_fmt_name(got->format),
                          want->width, want->height, av_get_pix_fmt_name(want->format));
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(want->format);
    int yuv = !(d->flags & AV_PIX_FMT_FLAG_RGB) && d->nb_components >= 3;
    int planes = yuv ? 3 : 1;
    double sse[2] = {0}, n[2] = {0};
    for (int p = 0; p < planes; p++) {
        int x = 0, y = 0, g = p ? 1 : 0;
        if (plane_differs(got, want, p, &x, &y, &sse[g], &n[g]) && v->rep->lossless) {
            const char *what = !yuv ? "picture differs from the source's luma with the store's chroma"
                               : p ? "chroma differs from the store"
                               : v->rep->restored ? "luma differs from the source as the run restored it"
                                                  : "luma differs from the source";
            return fr_err_set(err, FR_ERR_MISMATCH, "%s: frame %lld: %s (plane %d, first at x=%d y=%d)", v->output,
                              (long long)index, what, p, x, y);
        }
    }
    double ly = psnr(sse[0], n[0], d->comp[0].depth), lc = psnr(sse[1], n[1], d->comp[0].depth);
    if (ly < v->rep->min_luma_db)
        v->rep->min_luma_db = ly;
    if (yuv && lc < v->rep->min_chroma_db)
        v->rep->min_chroma_db = lc;
    if (ly < FR_VERIFY_LOSSY_DB || (yuv && lc < FR_VERIFY_LOSSY_DB))
        return fr_err_set(err, FR_ERR_MISMATCH, "%s: frame %lld: %s %.1f dB from %s, below the %.0f dB a lossy codec keeps",
                          v->output, (long long)index, ly < FR_VERIFY_LOSSY_DB ? "luma" : "chroma",
                          ly < FR_VERIFY_LOSSY_DB ? ly : lc, ly < FR_VERIFY_LOSSY_DB ? "the source" : "the store",
                          FR_VERIFY_LOSSY_DB);
    v->rep->frames = index + 1;
    return FR_OK;
}

/* The store must be complete, and its source unchanged. */
static fr_status check_store(verify *v, const char *store_path, fr_err *err)
{
    const fr_store_identity *id = fr_store_identity_of(v->store);
    if ((v->frames = fr_store_frame_count(v->store)) < 1)
        return fr_err_set(err, FR_ERR_MISMATCH, "store %s is incomplete: its run did not finish decoding the source", store_path);
    for (int64_t i = 0, n = fr_store_batch_count(v->store); i < n; i++) {
        fr_batch b;
        int done = 0, smoothed = 0;
        fr_status st = fr_store_batch(v->store, i, &b, &done, &smoothed, err);
        if (st != FR_OK)
            return st;
        if (!done)
            return fr_err_set(err, FR_ERR_MISMATCH, "store %s is incomplete: batch %lld (frames %lld-%lld) was never colourised",
                              store_path, (long long)i, (long long)b.start, (long long)(b.start + b.count - 1));
    }
    /* the timestamps, which the frames' order and the output's times rest on */
    if (v->frames > INT_MAX)
        return fr_err_set(err, FR_ERR_MISMATCH, "store %s claims %lld frames", store_path, (long long)v->frames);
    if (!(v->pts = malloc(sizeof *v->pts * (size_t)v->frames)))
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    fr_status st = fr_store_read_timestamps(v->store, 0, (int)v->frames, v->pts, err);
    if (st != FR_OK)
        return st;
    for (int64_t i = 1; i < v->frames; i++)
        if (v->pts[i] <= v->pts[i - 1])
            return fr_err_set(err, FR_ERR_MISMATCH,
                              "store %s is damaged: its /timestamps do not increase (frame %lld at %lld after frame %lld at %lld)",
                              store_path, (long long)i, (long long)v->pts[i], (long long)i - 1, (long long)v->pts[i - 1]);
    fr_store_identity now;
    memset(&now, 0, sizeof now);
    st = fr_store_fingerprint(id->source_path, &now, err);
    if (st != FR_OK) {
        fr_err_wrap(err, "store %s names its source", store_path);
        return st;
    }
    if (now.source_size != id->source_size || strcmp(now.source_hash, id->source_hash))
        return fr_err_set(err, FR_ERR_MISMATCH, "%s changed since store %s was made from it (size or content hash differs)",
                          id->source_path, store_path);
    v->rep->smoothed = fr_store_smoothed_frames(v->store) >= v->frames;
    v->rep->losses = fr_store_loss_count(v->store);
    v->rep->runs = fr_store_run_count(v->store);
    return FR_OK;
}

fr_status fr_verify_store(const char *output, const char *store_path, const fr_verify_luma *luma, fr_verify_report *rep,
                          fr_err *err)
{
    memset(rep, 0, sizeof *rep);
    rep->min_luma_db = rep->min_chroma_db = INFINITY;
    verify v = {.output = output, .store_path = store_path, .rep = rep, .shot = -1};
    fr_codec codec = FR_CODEC_AUTO;
    fr_status st = fr_store_open_readonly(&v.store, store_path, err);
    if (st == FR_OK)
        st = fr_store_refs_open(&v.refs, v.store, err);
    if (st == FR_OK)
        st = check_store(&v, store_path, err);
    if (st == FR_OK)
        st = reader_open(&v.out, output, &codec, err);
    if (st == FR_OK && codec == FR_CODEC_AUTO)
        st = fr_err_set(err, FR_ERR_MISMATCH, "%s: its video (%s) is not a codec filmrestore writes", output,
                        avcodec_get_name(v.out.fmt->streams[v.out.stream]->codecpar->codec_id));
    if (st == FR_OK && rep->losses > 0) /* read the source as the run did: past the recorded damage */
        fr_video_in_set_policy(&(fr_video_in_policy){0, 1});
    if (st == FR_OK)
        st = fr_verify_container(fr_store_identity_of(v.store)->source_path, output, store_path, v.store, &v.src_tb, err);
    v.pictures = codec == FR_CODEC_PNG || codec == FR_CODEC_TIFF;
    void *restored = NULL;
    if (st == FR_OK && luma)
        st = luma->open(&restored, v.store, err);
    rep->restored = restored != NULL;
    if (st == FR_OK) {
        rep->lossless = codec == FR_CODEC_FFV1 || codec == FR_CODEC_PNG || codec == FR_CODEC_TIFF;
        fr_remux_opts o = {.codec = codec, .chroma_size = fr_store_render_size(v.store), .chroma = store_chroma,
                           .chroma_ctx = &v, .luma = restored ? luma->luma : NULL, .luma_ctx = restored,
                           .sink = on_built, .sink_ctx = &v};
        st = fr_remux(fr_store_identity_of(v.store)->source_path, output, &o, err);
    }
    if (restored)
        luma->close(restored);
    if (st == FR_OK && rep->frames != v.frames)
        st = fr_err_set(err, FR_ERR_MISMATCH, "the source gave %lld frames, the store holds %lld", (long long)rep->frames,
                        (long long)v.frames);
    if (st == FR_OK && (st = reader_next(&v.out, err)) != FR_EOF)
        st = st == FR_OK ? fr_err_set(err, FR_ERR_MISMATCH, "%s has more frames than the source and the store (%lld)",
                                      output, (long long)v.frames)
                         : st;
    else if (st == FR_EOF)
        st = FR_OK;
    reader_close(&v.out);
    fr_store_refs_free(v.refs);
    fr_store_free(v.store);
    free(v.pts);
    return st;
}
