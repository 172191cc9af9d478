/* fr_video_in.c: the decode side of the video path (see fr_video_in.h).
 *
 * One demuxer and one decoder for the best video stream. Frames come out in
 * presentation order with their best-effort timestamps. Luma is taken straight
 * from the decoded picture when its first plane is native-endian luma (all
 * planar YUV and gray formats); anything else (RGB, packed, big-endian) goes
 * through swscale to GRAY8 or GRAY16.
 *
 * Damage is an error, never silently accepted: a read error, a decoder error,
 * a frame the decoder flags as corrupt, a demuxer that logs an error (it skipped
 * damaged bytes and resynced; the frames lost are counted from the timestamps, in
 * units of the shortest frame step seen), or a stream that ends well before the container's declared length (a
 * truncated file) all give FR_ERR_INPUT. Under the tolerate_damage policy the
 * corrupt frames are dropped and every loss is logged instead. The pixel cap is
 * checked on the container's size, given to the decoder (max_pixels), and checked
 * again on the first decoded frame. */
#include "fr_video_in.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "fr_av_open.h"
#include "fr_log.h"
#include "fr_pktlist.h"
#include "fr_sequence.h"

struct fr_video_in {
    char *path;
    AVFormatContext *fmt;
    AVCodecContext *dec;
    AVPacket *pkt;
    AVFrame *frame;
    struct SwsContext *sws;  /* only for sources whose luma is not a native plane */
    fr_plane conv;           /* owned: target of the conversion */
    fr_video_info info;
    int64_t next_index;
    int64_t last_pts, last_duration;
    int64_t dropped;         /* frames lost to damage (tolerate_damage only) */
    fr_loss *losses;   /* each loss, in order */
    int64_t n_losses, losses_cap;
    int64_t min_step;        /* shortest pts step seen so far: the frame duration (0: none yet) */
    /* Constant-rate evidence, for telling a dropped frame from a variable frame rate:
     * steps so far (their sum and count, all within a tick of their mean), a gap of
     * whole frames waiting for the next step to confirm the rate resumed, and vfr once
     * the steps have varied. */
    int64_t cfr_sum, cfr_n;
    int64_t gap_missing, gap_after;
    double gap_at;
    int vfr;
    int resynced;            /* the demuxer logged an error (skipped damaged data) */
    char demux_error[160];   /* its first such message */
    int demux_done, decoder_flushed;
    int pending;             /* v->frame holds the first frame, decoded at open */
    int peeking;             /* in open: hold other streams' packets in held[] */
    AVPacket **held;         /* packets read before the first frame, for stream copy */
    int n_held;
    fr_sequence *gaps;       /* a tolerated image sequence's gaps, until noted as losses */
    fr_packet_cb copy_cb;    /* non-NULL: hand other streams' packets to it */
    void *copy_ctx;
    /* Packet mode (fr_video_in_open_packets): no demuxer; packets come from a list and
     * only the wanted frames, by timestamp, are handed out. */
    const uint8_t *src;
    size_t src_len, src_pos;
    const int64_t *wanted;
    int64_t n_wanted, next_wanted, first_index;
    int keep_corrupt;        /* hand out corrupt wanted frames, flagged, instead of failing */
    /* Timeline mode (fr_video_in_open_timeline): no decoder; the video packets' timestamps,
     * put in presentation order by a small reorder buffer, stand for the frames. */
    int timeline;
    int resync_pending;      /* the demuxer skipped data before the next video packet */
    int64_t (*rq)[3];        /* (pts, duration, resynced before it) of packets not yet handed out */
    int rq_n, rq_cap;
};

static fr_video_in_policy policy = {FR_VIDEO_IN_MAX_PIXELS, 0};

void fr_video_in_set_policy(const fr_video_in_policy *p)
{
    policy = *p;
    if (policy.max_pixels <= 0)
        policy.max_pixels = FR_VIDEO_IN_MAX_PIXELS;
}

int64_t fr_video_in_max_pixels(void) { return policy.max_pixels; }

const fr_loss *fr_video_in_losses(const fr_video_in *v, int64_t *n)
{
    *n = v->n_losses;
    return v->losses;
}

/* Counts and keeps one tolerated loss; a loss that cannot be kept is an error, since
 * the store must list every one. */
static fr_status note_loss(fr_video_in *v, int64_t after, int64_t missing, double at, const char *reason, fr_err *err)
{
    if (v->n_losses == v->losses_cap) {
        int64_t cap = v->losses_cap ? 2 * v->losses_cap : 8;
        fr_loss *l = realloc(v->losses, sizeof *l * (size_t)cap);
        if (!l)
            return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        v->losses = l;
        v->losses_cap = cap;
    }
    fr_loss *l = &v->losses[v->n_losses++];
    l->after_frame = after;
    l->missing = missing;
    l->at = at;
    snprintf(l->reason, sizeof l->reason, "%s", reason);
    v->dropped += missing;
    return FR_OK;
}

static fr_status check_pixels(int width, int height, fr_err *err)
{
    if ((int64_t)width * height > policy.max_pixels)
        return fr_err_set(err, FR_ERR_INPUT, "the picture is %dx%d, more than --max-pixels allows (%lld pixels)", width,
                          height, (long long)policy.max_pixels);
    return FR_OK;
}

/* The reader inside av_read_frame on this thread: its demuxer's error messages mark
 * damage (a demuxer that resyncs past bad bytes says so only in its log). */
static _Thread_local fr_video_in *reading;

static void on_av_log(void *avcl, int level, const char *fmt, va_list vl)
{
    fr_video_in *v = reading;
    if (v && avcl == v->fmt && level <= AV_LOG_ERROR && !v->resynced) {
        va_list copy;
        va_copy(copy, vl);
        vsnprintf(v->demux_error, sizeof v->demux_error, fmt, copy);
        va_end(copy);
        v->demux_error[strcspn(v->demux_error, "\n")] = 0;
        v->resynced = 1;
    }
    av_log_default_callback(avcl, level, fmt, vl);
}

static void quiet_libav(void)
{
    static int done;
    if (!done) {
        av_log_set_level(fr_log_get_level() >= FR_LOG_DEBUG ? AV_LOG_WARNING : AV_LOG_QUIET);
        av_log_set_callback(on_av_log);
        done = 1;
    }
}

/* Luma bit depth and whether plane 0 can be borrowed as is. */
static int luma_is_native(const AVPixFmtDescriptor *d)
{
    if (d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BITSTREAM |
                    AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_BE | AV_PIX_FMT_FLAG_FLOAT |
                    AV_PIX_FMT_FLAG_BAYER))
        return 0;
    const AVComponentDescriptor *c = &d->comp[0];
    int bps = c->depth > 8 ? 2 : 1;
    return c->plane == 0 && c->shift == 0 && c->offset == 0 && c->step == bps &&
           (d->nb_components <= 2 || (d->flags & AV_PIX_FMT_FLAG_PLANAR));
}

static int is_gray(const AVPixFmtDescriptor *d)
{
    return !(d->flags & AV_PIX_FMT_FLAG_RGB) && d->nb_components <= 2;
}

/* Declared duration of the video stream in seconds, or -1. */
static double stream_duration(const AVFormatContext *fmt, const AVStream *st)
{
    if (st->duration > 0 && st->duration != AV_NOPTS_VALUE)
        return st->duration * av_q2d(st->time_base);
    const AVDictionaryEntry *e = av_dict_get(st->metadata, "DURATION", NULL, 0);
    if (e) {
        int h = 0, m = 0;
        double s = 0;
        if (sscanf(e->value, "%d:%d:%lf", &h, &m, &s) == 3)
            return h * 3600.0 + m * 60.0 + s;
    }
    if (fmt->nb_streams == 1 && fmt->duration > 0)
        return fmt->duration / (double)AV_TIME_BASE;
    return -1;
}

static fr_status receive(fr_video_in *v, fr_err *err);

/* An image sequence is checked against its folder (fr_sequence.h): a missing picture is
 * refused, naming it; under tolerate_damage the sequence is reopened through a glob of the
 * pictures that are there, and each gap is logged and kept as a loss. */
static fr_status open_sequence(fr_video_in *v, const char *path, fr_err *err)
{
    fr_sequence *seq = NULL;
    fr_status st = fr_sequence_scan(&seq, path, err);
    if (st != FR_OK)
        return st;
    int64_t after, missing;
    char name[300], glob[PATH_MAX * 2];
    if (!fr_sequence_gap(seq, 0, &after, &missing, name, sizeof name)) {
        fr_sequence_free(seq);
        return FR_OK;
    }
    if (!policy.tolerate_damage) {
        st = fr_err_set(err, FR_ERR_INPUT,
                        "image sequence: %s is missing (%lld picture(s), after the first %lld); --tolerate-damage skips it",
                        name, (long long)missing, (long long)after + 1);
        fr_sequence_free(seq);
        return st;
    }
    if (!fr_sequence_glob(seq, glob, sizeof glob)) {
        fr_sequence_free(seq);
        return fr_err_set(err, FR_ERR_INPUT, "image sequence %s: the path is too long", path);
    }
    const AVInputFormat *image2 = v->fmt->iformat;
    avformat_close_input(&v->fmt);
    AVDictionary *o = NULL;
    av_dict_set(&o, "pattern_type", "glob", 0);
    st = fr_av_open(&v->fmt, glob, image2, o, "cannot open input", err);
    av_dict_free(&o);
    if (st == FR_OK)
        v->gaps = seq; /* noted as losses once the rate is known (sequence_losses) */
    else
        fr_sequence_free(seq);
    return st;
}

/* Each gap of a tolerated sequence: one log line and one loss, at its time in the film. */
static fr_status sequence_losses(fr_video_in *v, fr_err *err)
{
    int64_t after, missing;
    char name[300];
    double fps = v->info.frame_rate.num > 0 && v->info.frame_rate.den > 0 ? av_q2d(v->info.frame_rate) : 25;
    fr_status st = FR_OK;
    for (int64_t k = 0; st == FR_OK && fr_sequence_gap(v->gaps, k, &after, &missing, name, sizeof name); k++) {
        fr_warn("input", "%s: %s missing (%lld picture(s)), after frame %lld (--tolerate-damage)", v->path, name,
                (long long)missing, (long long)after);
        st = note_loss(v, after, missing, (after + 1) / fps, "image sequence: picture missing", err);
    }
    fr_sequence_free(v->gaps);
    v->gaps = NULL;
    return st;
}

static fr_status open_source(fr_video_in **out, const char *path, int timeline, fr_err *err)
{
    quiet_libav();
    *out = NULL;
    fr_video_in *v = calloc(1, sizeof *v);
    if (!v)
        return fr_err_set(err, FR_ERR_NOMEM, "%s: out of memory", path);
    v->path = strdup(path);
    v->timeline = timeline;
    fr_status st = FR_OK;
    int ret;
    if ((st = fr_av_open(&v->fmt, path, NULL, NULL, "cannot open input", err)) != FR_OK)
        goto fail;
    if (!strcmp(v->fmt->iformat->name, "image2") && strchr(path, '%') && (st = open_sequence(v, path, err)) != FR_OK)
        goto fail;
    if ((ret = avformat_find_stream_info(v->fmt, NULL)) < 0) {
        st = fr_err_av(err, FR_ERR_INPUT, ret, "cannot read stream info");
        goto fail;
    }
    const AVCodec *codec = NULL;
    int si = av_find_best_stream(v->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (si < 0) {
        st = fr_err_set(err, FR_ERR_INPUT, "no video stream");
        goto fail;
    }
    if (!codec) {
        st = fr_err_set(err, FR_ERR_INPUT, "no decoder for the video stream");
        goto fail;
    }
    AVStream *vs = v->fmt->streams[si];
    v->dec = avcodec_alloc_context3(codec);
    v->pkt = av_packet_alloc();
    v->frame = av_frame_alloc();
    if (!v->dec || !v->pkt || !v->frame) {
        st = fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if ((ret = avcodec_parameters_to_context(v->dec, vs->codecpar)) < 0) {
        st = fr_err_av(err, FR_ERR_INPUT, ret, "avcodec_parameters_to_context");
        goto fail;
    }
    if ((st = check_pixels(vs->codecpar->width, vs->codecpar->height, err)) != FR_OK)
        goto fail;
    v->dec->max_pixels = policy.max_pixels;
    v->dec->thread_count = 0;
    v->dec->pkt_timebase = vs->time_base;
    if (!timeline && (ret = avcodec_open2(v->dec, codec, NULL)) < 0) {
        st = fr_err_av(err, FR_ERR_INPUT, ret, "cannot open the video decoder");
        goto fail;
    }
    for (unsigned i = 0; i < v->fmt->nb_streams; i++) {
        enum AVMediaType t = v->fmt->streams[i]->codecpar->codec_type;
        if ((int)i != si && t != AVMEDIA_TYPE_AUDIO && t != AVMEDIA_TYPE_SUBTITLE)
            v->fmt->streams[i]->discard = AVDISCARD_ALL;
    }

    fr_video_info *in = &v->info;
    in->width = vs->codecpar->width;
    in->height = vs->codecpar->height;
    if (in->width <= 0 || in->height <= 0) {
        st = fr_err_set(err, FR_ERR_INPUT, "video stream has no picture size");
        goto fail;
    }
    if (in->width < FR_VIDEO_IN_MIN_SIDE || in->height < FR_VIDEO_IN_MIN_SIDE) {
        st = fr_err_set(err, FR_ERR_ARG, "the picture is %dx%d; filmrestore needs at least %dx%d", in->width,
                        in->height, FR_VIDEO_IN_MIN_SIDE, FR_VIDEO_IN_MIN_SIDE);
        goto fail;
    }
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(vs->codecpar->format);
    in->bits = d ? d->comp[0].depth : 8;
    if (d && (d->flags & AV_PIX_FMT_FLAG_RGB))
        in->bits = d->comp[0].depth > 8 ? 16 : 8;
    in->full_range = vs->codecpar->color_range == AVCOL_RANGE_JPEG || (d && is_gray(d)) ||
                     (d && (d->flags & AV_PIX_FMT_FLAG_RGB)) ||
                     (d && strncmp(d->name, "yuvj", 4) == 0);
    in->time_base = vs->time_base;
    in->frame_rate = vs->avg_frame_rate.num > 0 ? vs->avg_frame_rate : vs->r_frame_rate;
    in->nb_frames = vs->nb_frames > 0 ? vs->nb_frames : -1;
    in->duration = stream_duration(v->fmt, vs);
    in->stream_index = si;
    in->sar = vs->sample_aspect_ratio.num ? vs->sample_aspect_ratio : vs->codecpar->sample_aspect_ratio;
    in->pix_fmt = vs->codecpar->format;
    in->colorspace = vs->codecpar->color_space;
    in->primaries = vs->codecpar->color_primaries;
    in->trc = vs->codecpar->color_trc;
    in->range = vs->codecpar->color_range;
    in->field_order = vs->codecpar->field_order;
    v->last_pts = AV_NOPTS_VALUE;
    if (timeline) { /* no decoder: the container's size, checked against the cap */
        if (v->gaps && (st = sequence_losses(v, err)) != FR_OK)
            goto fail;
        if (timeline == 1) /* the timeline reads video only; a demuxer's user reads it all */
            fr_video_in_copy_streams(v, NULL, NULL);
        *out = v;
        return FR_OK;
    }
    /* The picture size is the decoder's, not the container's (they differ for
     * Theora, for one): decode the first frame now and keep it for the first read. */
    v->peeking = 1;
    st = receive(v, err);
    v->peeking = 0;
    if (st != FR_OK) {
        if (st == FR_EOF)
            st = fr_err_set(err, FR_ERR_INPUT, "no decodable video frame");
        goto fail;
    }
    v->pending = 1;
    in->width = v->frame->width;
    in->height = v->frame->height;
    if ((st = check_pixels(in->width, in->height, err)) != FR_OK)
        goto fail;
    if (v->gaps && (st = sequence_losses(v, err)) != FR_OK)
        goto fail;
    *out = v;
    return FR_OK;
fail:
    fr_err_wrap(err, "%s", path);
    fr_video_in_free(v);
    return st;
}

fr_status fr_video_in_open(fr_video_in **out, const char *path, fr_err *err)
{
    return open_source(out, path, 0, err);
}

fr_status fr_video_in_open_timeline(fr_video_in **out, const char *path, fr_err *err)
{
    return open_source(out, path, 1, err);
}

fr_status fr_video_in_open_demux(fr_video_in **out, const char *path, fr_err *err)
{
    return open_source(out, path, 2, err);
}

struct AVFormatContext *fr_video_in_demuxer(fr_video_in *v) { return v->fmt; }

fr_status fr_video_in_open_packets(fr_video_in **out, const char *name, const fr_video_info *info,
                                   const struct AVCodecParameters *par, const uint8_t *pkts, size_t len,
                                   const int64_t *wanted, int64_t n_wanted, int64_t first_index, int keep_corrupt,
                                   fr_err *err)
{
    quiet_libav();
    *out = NULL;
    fr_video_in *v = calloc(1, sizeof *v);
    if (!v || !(v->path = strdup(name))) {
        free(v);
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    }
    v->info = *info;
    v->src = pkts;
    v->src_len = len;
    v->wanted = wanted;
    v->n_wanted = n_wanted;
    v->first_index = first_index;
    v->keep_corrupt = keep_corrupt;
    v->last_pts = AV_NOPTS_VALUE;
    fr_status st = FR_OK;
    int ret;
    const AVCodec *codec = avcodec_find_decoder(par->codec_id);
    if (!codec) {
        st = fr_err_set(err, FR_ERR_INPUT, "no decoder for the video stream");
        goto fail;
    }
    v->dec = avcodec_alloc_context3(codec);
    v->pkt = av_packet_alloc();
    v->frame = av_frame_alloc();
    if (!v->dec || !v->pkt || !v->frame) {
        st = fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if ((ret = avcodec_parameters_to_context(v->dec, par)) < 0) {
        st = fr_err_av(err, FR_ERR_INPUT, ret, "avcodec_parameters_to_context");
        goto fail;
    }
    v->dec->max_pixels = policy.max_pixels;
    v->dec->thread_count = 1; /* a node's cores run the generator; decoding is a small share */
    v->dec->pkt_timebase = info->time_base;
    if ((ret = avcodec_open2(v->dec, codec, NULL)) < 0) {
        st = fr_err_av(err, FR_ERR_INPUT, ret, "cannot open the video decoder");
        goto fail;
    }
    *out = v;
    return FR_OK;
fail:
    fr_err_wrap(err, "%s", name);
    fr_video_in_free(v);
    return st;
}

const fr_video_info *fr_video_in_info(const fr_video_in *v) { return &v->info; }

/* Makes f->luma point at the luma of v->frame, converting when needed. */
static fr_status take_luma(fr_video_in *v, fr_plane *luma, fr_err *err)
{
    AVFrame *fr = v->frame;
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fr->format);
    if (!d)
        return fr_err_set(err, FR_ERR_INPUT, "%s: unknown pixel format", v->path);
    if (luma_is_native(d)) {
        luma->width = fr->width;
        luma->height = fr->height;
        luma->bits = d->comp[0].depth;
        luma->linesize = fr->linesize[0];
        luma->data = fr->data[0];
        luma->owned = 0;
        return FR_OK;
    }
    int deep = d->comp[0].depth > 8;
    enum AVPixelFormat dst = deep ? AV_PIX_FMT_GRAY16 : AV_PIX_FMT_GRAY8;
    if (!v->conv.data || v->conv.width != fr->width || v->conv.height != fr->height) {
        fr_plane_release(&v->conv);
        fr_status st = fr_plane_alloc(&v->conv, fr->width, fr->height, deep ? 16 : 8, err);
        if (st != FR_OK)
            return st;
    }
    v->sws = sws_getCachedContext(v->sws, fr->width, fr->height, fr->format, fr->width, fr->height,
                                  dst, SWS_BICUBIC | SWS_ACCURATE_RND | SWS_BITEXACT, NULL, NULL,
                                  NULL);
    if (!v->sws)
        return fr_err_set(err, FR_ERR_INPUT, "%s: cannot convert %s to luma", v->path, d->name);
    if (d->flags & AV_PIX_FMT_FLAG_RGB) { /* RGB: full-range luma out */
        const int *coefs = sws_getCoefficients(SWS_CS_ITU601);
        sws_setColorspaceDetails(v->sws, coefs, 1, coefs, 1, 0, 1 << 16, 1 << 16);
    }
    uint8_t *dd[4] = {v->conv.data};
    int dl[4] = {(int)v->conv.linesize};
    if (sws_scale(v->sws, (const uint8_t *const *)fr->data, fr->linesize, 0, fr->height, dd, dl) != fr->height)
        return fr_err_set(err, FR_ERR_INPUT, "%s: sws_scale: cannot convert %s to luma", v->path, d->name);
    *luma = v->conv;
    luma->owned = 0;
    return FR_OK;
}

/* A libav failure while reading, as FR_ERR_INPUT naming the file and frame. */
static fr_status read_failure(fr_video_in *v, fr_err *err, int averr, const char *what)
{
    fr_err_av(err, FR_ERR_INPUT, averr, what);
    fr_err_wrap(err, "%s: near frame %lld", v->path, (long long)v->next_index);
    return FR_ERR_INPUT;
}

/* Checks, at end of stream, that the stream was not cut short. */
static fr_status check_complete(fr_video_in *v, fr_err *err)
{
    const fr_video_info *in = &v->info;
    int64_t n = v->next_index;
    if (n == 0)
        return fr_err_set(err, FR_ERR_INPUT, "%s: no decodable video frame", v->path);
    if (v->resynced && !policy.tolerate_damage)
        return fr_err_set(err, FR_ERR_INPUT, "%s: damaged near the end: the demuxer skipped data (%s) (--tolerate-damage accepts it)",
                          v->path, v->demux_error);
    if (in->nb_frames > 0 && n < in->nb_frames)
        return fr_err_set(err, FR_ERR_INPUT, "%s: truncated or corrupt: decoded %lld of %lld frames",
                          v->path, (long long)n, (long long)in->nb_frames);
    if (in->duration > 0 && v->last_pts != AV_NOPTS_VALUE) {
        double end = (v->last_pts + (v->last_duration > 0 ? v->last_duration : 0)) * av_q2d(in->time_base);
        double start = v->fmt->streams[in->stream_index]->start_time != AV_NOPTS_VALUE
                           ? v->fmt->streams[in->stream_index]->start_time * av_q2d(in->time_base)
                           : 0;
        double fps = in->frame_rate.num > 0 ? av_q2d(in->frame_rate) : 25.0;
        double slack = 0.5 > 2.0 / fps ? 0.5 : 2.0 / fps;
        if (end - start < in->duration - slack)
            return fr_err_set(err, FR_ERR_INPUT,
                              "%s: truncated: video ends at %.3f s of a declared %.3f s", v->path,
                              end - start, in->duration);
    }
    return FR_EOF;
}

/* Keeps a copy of v->pkt, read before the first frame, for a later stream copy. */
static fr_status hold_packet(fr_video_in *v, fr_err *err)
{
    AVPacket **h = realloc(v->held, sizeof *h * (size_t)(v->n_held + 1));
    if (!h)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    v->held = h;
    if (!(h[v->n_held] = av_packet_clone(v->pkt)))
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    v->n_held++;
    return FR_OK;
}

static void drop_held(fr_video_in *v)
{
    for (int i = 0; i < v->n_held; i++)
        av_packet_free(&v->held[i]);
    free(v->held);
    v->held = NULL;
    v->n_held = 0;
}

/* Packet mode: the next listed packet into v->pkt (AVERROR_EOF at the end, and
 * AVERROR_INVALIDDATA, with err set, for a malformed list). */
static int next_listed_packet(fr_video_in *v, fr_err *err)
{
    fr_pkt p;
    int r = fr_pktlist_next(v->src, v->src_len, &v->src_pos, &p);
    if (r == 0)
        return AVERROR_EOF;
    if (r < 0) {
        fr_err_set(err, FR_ERR_MPI, "%s: malformed packet list", v->path);
        return AVERROR_INVALIDDATA;
    }
    if (av_new_packet(v->pkt, p.size) < 0) {
        fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        return AVERROR_INVALIDDATA;
    }
    if (p.size)
        memcpy(v->pkt->data, p.data, (size_t)p.size);
    v->pkt->pts = p.pts;
    v->pkt->dts = p.dts;
    v->pkt->duration = p.duration;
    v->pkt->flags = p.flags & (AV_PKT_FLAG_KEY | AV_PKT_FLAG_DISCARD);
    v->pkt->stream_index = v->info.stream_index;
    return 0;
}

#define FR_REORDER 16 /* packets held to put timestamps in presentation order: more than any
                       * decoder's reorder delay (H.264's is at most 16 frames) */

/* Timeline mode: the next frame, by timestamp, into v->frame's timestamp and duration. */
static fr_status receive_timeline(fr_video_in *v, fr_err *err)
{
    for (;;) {
        if (v->rq_n > FR_REORDER || (v->demux_done && v->rq_n > 0)) {
            int k = 0;
            for (int i = 1; i < v->rq_n; i++)
                if (v->rq[i][0] < v->rq[k][0])
                    k = i;
            av_frame_unref(v->frame);
            v->frame->best_effort_timestamp = v->rq[k][0];
            v->frame->pkt_duration = v->rq[k][1];
            v->resynced |= v->rq[k][2] != 0; /* the demuxer skipped data just before it */
            memcpy(v->rq[k], v->rq[--v->rq_n], sizeof v->rq[k]);
            return FR_OK;
        }
        if (v->demux_done)
            return FR_EOF;
        int was = v->resynced;
        reading = v;
        int ret = av_read_frame(v->fmt, v->pkt);
        reading = NULL;
        if (v->resynced && !was) { /* held for the next video packet, until its frame comes out */
            v->resynced = 0;
            v->resync_pending = 1;
        }
        if (ret == AVERROR_EOF) {
            v->resynced |= v->resync_pending;
            v->demux_done = 1;
            continue;
        }
        if (ret < 0)
            return read_failure(v, err, ret, "read error");
        int video = v->pkt->stream_index == v->info.stream_index, corrupt = v->pkt->flags & AV_PKT_FLAG_CORRUPT;
        int64_t t = v->pkt->pts != AV_NOPTS_VALUE ? v->pkt->pts : v->pkt->dts, d = v->pkt->duration;
        av_packet_unref(v->pkt);
        if (!video)
            continue;
        if (corrupt && !policy.tolerate_damage)
            return fr_err_set(err, FR_ERR_INPUT, "%s: corrupt packet near frame %lld (--tolerate-damage accepts it)",
                              v->path, (long long)v->next_index);
        if (t == AV_NOPTS_VALUE)
            return fr_err_set(err, FR_ERR_INPUT, "%s: a video packet near frame %lld has no timestamp", v->path,
                              (long long)v->next_index);
        if (v->rq_n == v->rq_cap) {
            int cap = v->rq_cap ? 2 * v->rq_cap : 32;
            int64_t(*q)[3] = realloc(v->rq, sizeof *q * (size_t)cap);
            if (!q)
                return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
            v->rq = q;
            v->rq_cap = cap;
        }
        v->rq[v->rq_n][0] = t;
        v->rq[v->rq_n][1] = d;
        v->rq[v->rq_n++][2] = v->resync_pending;
        v->resync_pending = 0;
    }
}

/* Decodes the next frame into v->frame; FR_EOF at the end of the stream. */
static fr_status receive(fr_video_in *v, fr_err *err)
{
    if (v->timeline)
        return receive_timeline(v, err);
    for (;;) {
        int ret = avcodec_receive_frame(v->dec, v->frame);
        if (ret == 0) {
            if ((v->frame->flags & AV_FRAME_FLAG_CORRUPT) || v->frame->decode_error_flags) {
                if (!v->fmt && v->keep_corrupt) /* packet mode: flagged, for the planner to judge */
                    return FR_OK;
                if (!v->fmt) { /* packet mode: the planner already judged this frame */
                    av_frame_unref(v->frame);
                    continue;
                }
                if (!policy.tolerate_damage)
                    return fr_err_set(err, FR_ERR_INPUT, "%s: corrupt video at frame %lld (--tolerate-damage drops such frames)",
                                      v->path, (long long)v->next_index);
                int64_t pts = v->frame->best_effort_timestamp;
                double at = pts != AV_NOPTS_VALUE ? (double)pts * av_q2d(v->info.time_base) : -1;
                fr_status st = note_loss(v, v->next_index - 1, 1, at, "corrupt frame", err);
                if (st != FR_OK)
                    return st;
                fr_warn("input", "%s: dropped a corrupt frame after frame %lld (--tolerate-damage)", v->path,
                        (long long)v->next_index - 1);
                av_frame_unref(v->frame);
                continue;
            }
            return FR_OK;
        }
        if (ret == AVERROR_EOF)
            return FR_EOF;
        if (ret != AVERROR(EAGAIN))
            return read_failure(v, err, ret, "decoding failed");
        /* The decoder wants input. */
        if (v->demux_done) {
            if (v->decoder_flushed)
                return FR_EOF;
            avcodec_send_packet(v->dec, NULL);
            v->decoder_flushed = 1;
            continue;
        }
        if (!v->fmt) {
            ret = next_listed_packet(v, err);
            if (ret == AVERROR_INVALIDDATA)
                return FR_ERR_MPI;
        } else {
            reading = v;
            ret = av_read_frame(v->fmt, v->pkt);
            reading = NULL;
        }
        if (ret == AVERROR_EOF) {
            v->demux_done = 1;
            continue;
        }
        if (ret < 0)
            return read_failure(v, err, ret, "read error");
        if (v->pkt->stream_index != v->info.stream_index) {
            fr_status st = FR_OK;
            if (v->peeking)
                st = hold_packet(v, err);
            else if (v->copy_cb && v->fmt->streams[v->pkt->stream_index]->discard != AVDISCARD_ALL)
                st = v->copy_cb(v->copy_ctx, v->pkt, err);
            av_packet_unref(v->pkt);
            if (st != FR_OK)
                return st;
            continue;
        }
        int corrupt = v->pkt->flags & AV_PKT_FLAG_CORRUPT;
        ret = avcodec_send_packet(v->dec, v->pkt);
        av_packet_unref(v->pkt);
        if (corrupt && !policy.tolerate_damage)
            return fr_err_set(err, FR_ERR_INPUT, "%s: corrupt packet near frame %lld (--tolerate-damage accepts it)",
                              v->path, (long long)v->next_index);
        if (ret < 0 && ret != AVERROR(EAGAIN) && v->fmt)
            return read_failure(v, err, ret, "decoding failed");
    }
}

/* A frame duration in the stream's time base, before two frames have been seen: the
 * last frame's own, else 1/frame rate. */
static int64_t frame_duration(const fr_video_in *v)
{
    if (v->last_duration > 0)
        return v->last_duration;
    const fr_video_info *in = &v->info;
    if (in->frame_rate.num > 0 && in->frame_rate.den > 0)
        return av_rescale_q(1, av_inv_q(in->frame_rate), in->time_base);
    return 0;
}

/* After the demuxer resynced: the frames lost (from the timestamp step, in units of the
 * shortest step seen), an error unless tolerated. */
static fr_status check_gap(fr_video_in *v, int64_t pts, fr_err *err)
{
    int64_t step = pts - v->last_pts;
    int64_t d = v->min_step > 0 ? v->min_step : frame_duration(v);
    int64_t missing = d > 0 && step > d + d / 2 ? (step + d / 2) / d - 1 : 0;
    double at = (double)pts * av_q2d(v->info.time_base);
    if (!policy.tolerate_damage)
        return fr_err_set(err, FR_ERR_INPUT, "%s: damaged: the demuxer skipped data (%s); %lld frame(s) missing before %.3f s, after frame %lld (--tolerate-damage accepts it)",
                          v->path, v->demux_error, (long long)missing, at, (long long)v->next_index - 1);
    fr_status st = note_loss(v, v->next_index - 1, missing, at, v->demux_error, err);
    if (st != FR_OK)
        return st;
    fr_warn("input", "%s: damaged (%s): %lld frame(s) missing before %.3f s, after frame %lld (--tolerate-damage)", v->path,
            v->demux_error, (long long)missing, at, (long long)v->next_index - 1);
    return FR_OK;
}

#define FR_CFR_EVIDENCE 8 /* equal steps before a gap of whole frames counts as a loss */

/* A timestamp step in a stream that has kept one rate: a lone gap of k whole frames, after
 * which the rate resumes, is k - 1 dropped frames (an error unless tolerated). A rate that
 * changes and stays changed is a variable frame rate, and ends the watch. Steps within a
 * tick of the mean count as equal (Matroska's 1 ms clock gives 41/42 ms at 24 fps). */
static fr_status watch_rate(fr_video_in *v, int64_t step, double at, fr_err *err)
{
    if (v->vfr || step <= 0)
        return FR_OK;
    double mean = v->cfr_n ? (double)v->cfr_sum / (double)v->cfr_n : 0;
    int steady = v->cfr_n && fabs((double)step - mean) <= 1.0;
    if (v->gap_missing) {
        int64_t missing = v->gap_missing, after = v->gap_after;
        v->gap_missing = 0;
        if (!steady) {
            v->vfr = 1;
            return FR_OK;
        }
        if (!policy.tolerate_damage)
            return fr_err_set(err, FR_ERR_INPUT, "%s: %lld frame(s) missing after frame %lld (a timestamp gap at %.3f s in a constant-rate stream) (--tolerate-damage accepts it)",
                              v->path, (long long)missing, (long long)after, v->gap_at);
        fr_status st = note_loss(v, after, missing, v->gap_at, "timestamp gap in a constant-rate stream", err);
        if (st != FR_OK)
            return st;
        fr_warn("input", "%s: %lld frame(s) missing after frame %lld (a timestamp gap at %.3f s) (--tolerate-damage)",
                v->path, (long long)missing, (long long)after, v->gap_at);
    }
    if (!v->cfr_n || steady) {
        v->cfr_sum += step;
        v->cfr_n++;
        return FR_OK;
    }
    double k = floor((double)step / mean + 0.5);
    if (v->cfr_n >= FR_CFR_EVIDENCE && k >= 2 && fabs((double)step - k * mean) <= 1.0 + k * 0.5) {
        v->gap_missing = (int64_t)k - 1; /* confirmed, or not, by the next step */
        v->gap_after = v->next_index - 1;
        v->gap_at = at;
        return FR_OK;
    }
    v->vfr = 1;
    return FR_OK;
}

/* Packet mode: wanted frame `want` did not come (keep_corrupt only): handed out flagged. */
static fr_status missing_frame(fr_video_in *v, fr_frame *f, int64_t want)
{
    f->index = v->first_index + v->next_wanted++;
    f->pts = want;
    f->corrupt = 1;
    memset(&f->luma, 0, sizeof f->luma);
    return FR_OK;
}

static fr_status read_wanted(fr_video_in *v, fr_frame *f, fr_err *err)
{
    if (v->next_wanted == v->n_wanted)
        return FR_EOF;
    int64_t want = v->wanted[v->next_wanted];
    f->corrupt = 0;
    for (;;) {
        fr_status st = v->pending ? FR_OK : receive(v, err); /* pending: a frame kept from the last call */
        v->pending = 0;
        if (st == FR_EOF && v->keep_corrupt)
            return missing_frame(v, f, want);
        if (st == FR_EOF)
            return fr_err_set(err, FR_ERR_INPUT, "%s: frame %lld (pts %lld) did not decode from its packets", v->path,
                              (long long)(v->first_index + v->next_wanted), (long long)want);
        if (st != FR_OK)
            return st;
        int64_t pts = v->frame->best_effort_timestamp;
        if (pts == want)
            break;
        if (pts > want && v->keep_corrupt) {
            v->pending = 1; /* perhaps the next wanted frame */
            return missing_frame(v, f, want);
        }
        if (pts > want)
            return fr_err_set(err, FR_ERR_INPUT, "%s: frame %lld (pts %lld) is missing from its packets", v->path,
                              (long long)(v->first_index + v->next_wanted), (long long)want);
        av_frame_unref(v->frame); /* before the segment, or dropped by the planner's pass */
    }
    f->index = v->first_index + v->next_wanted++;
    f->pts = want;
    if (v->frame->decode_error_flags || (v->frame->flags & AV_FRAME_FLAG_CORRUPT)) {
        f->corrupt = 1; /* keep_corrupt only (receive drops them otherwise): its picture is not used */
        memset(&f->luma, 0, sizeof f->luma);
        return FR_OK;
    }
    return take_luma(v, &f->luma, err);
}

fr_status fr_video_in_read(fr_video_in *v, fr_frame *f, fr_err *err)
{
    if (!v->fmt)
        return read_wanted(v, f, err);
    if (v->pending && !v->copy_cb) /* no stream copy wanted: stop reading other streams */
        fr_video_in_copy_streams(v, NULL, NULL);
    for (int i = 0; i < v->n_held; i++) { /* packets that came before the first frame */
        fr_status st = v->copy_cb(v->copy_ctx, v->held[i], err);
        if (st != FR_OK)
            return st;
    }
    drop_held(v);
    if (v->pending) {
        v->pending = 0;
    } else {
        fr_status st = receive(v, err);
        if (st == FR_EOF)
            return check_complete(v, err);
        if (st != FR_OK)
            return st;
    }
    int64_t pts = v->frame->best_effort_timestamp;
    if (pts == AV_NOPTS_VALUE)
        pts = v->last_pts == AV_NOPTS_VALUE ? 0 : v->last_pts + (v->last_duration > 0 ? v->last_duration : 1);
    else if (v->last_pts != AV_NOPTS_VALUE && v->resynced) {
        v->resynced = 0;
        fr_status st = check_gap(v, pts, err); /* counted there: not a step of the rate */
        if (st != FR_OK)
            return st;
    } else if (v->last_pts != AV_NOPTS_VALUE) {
        fr_status st = watch_rate(v, pts - v->last_pts, (double)v->last_pts * av_q2d(v->info.time_base), err);
        if (st != FR_OK)
            return st;
    }
    if (pts != AV_NOPTS_VALUE && v->last_pts != AV_NOPTS_VALUE && pts - v->last_pts > 0 &&
        (v->min_step == 0 || pts - v->last_pts < v->min_step))
        v->min_step = pts - v->last_pts;
    v->last_pts = pts;
    v->last_duration = v->frame->pkt_duration;
    f->index = v->next_index++;
    f->pts = pts;
    f->corrupt = 0;
    if (v->timeline) {
        memset(&f->luma, 0, sizeof f->luma);
        return FR_OK;
    }
    return take_luma(v, &f->luma, err);
}

void fr_video_in_copy_streams(fr_video_in *v, fr_packet_cb cb, void *ctx)
{
    v->copy_cb = cb;
    v->copy_ctx = ctx;
    if (!cb)
        drop_held(v);
    for (unsigned i = 0; v->fmt && i < v->fmt->nb_streams; i++) {
        enum AVMediaType t = v->fmt->streams[i]->codecpar->codec_type;
        if ((int)i != v->info.stream_index)
            v->fmt->streams[i]->discard = cb && (t == AVMEDIA_TYPE_AUDIO || t == AVMEDIA_TYPE_SUBTITLE)
                                              ? AVDISCARD_DEFAULT : AVDISCARD_ALL;
    }
}

const struct AVFormatContext *fr_video_in_format(const fr_video_in *v) { return v->fmt; }

void fr_video_in_free(fr_video_in *v)
{
    if (!v)
        return;
    drop_held(v);
    free(v->rq);
    free(v->losses);
    fr_sequence_free(v->gaps);
    sws_freeContext(v->sws);
    fr_plane_release(&v->conv);
    av_frame_free(&v->frame);
    av_packet_free(&v->pkt);
    avcodec_free_context(&v->dec);
    avformat_close_input(&v->fmt);
    free(v->path);
    free(v);
}
