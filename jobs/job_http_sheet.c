/* job_http_sheet.c: a contact sheet of a finished job's output, made with
 * FFmpeg's libraries: n frames taken at even steps through the film (a seek
 * each, so a feature costs n short decodes, not a pass), each scaled by
 * libswscale to a thumbnail, laid side by side and encoded as one PNG by
 * libavcodec. Without a known duration (or when a seek fails) the first n
 * frames are taken. */
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
#include <stdlib.h>
#include <string.h>

#include "job_http_int.h"

#define GAP 4 /* pixels between thumbnails */

typedef struct {
    AVFormatContext *fmt;
    AVCodecContext *dec;
    AVFrame *frame;
    AVPacket *pkt;
    int si;
} sheet_in;

static void in_close(sheet_in *in)
{
    av_packet_free(&in->pkt);
    av_frame_free(&in->frame);
    avcodec_free_context(&in->dec);
    avformat_close_input(&in->fmt);
}

static fr_status in_open(sheet_in *in, const char *path, fr_err *err)
{
    int rc;
    if ((rc = avformat_open_input(&in->fmt, path, NULL, NULL)) < 0)
        return fr_err_av(err, FR_ERR_INPUT, rc, "avformat_open_input");
    if ((rc = avformat_find_stream_info(in->fmt, NULL)) < 0)
        return fr_err_av(err, FR_ERR_INPUT, rc, "avformat_find_stream_info");
    const AVCodec *codec = NULL;
    if ((rc = av_find_best_stream(in->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0)) < 0)
        return fr_err_av(err, FR_ERR_INPUT, rc, "av_find_best_stream");
    in->si = rc;
    if (!(in->dec = avcodec_alloc_context3(codec)) || !(in->frame = av_frame_alloc()) ||
        !(in->pkt = av_packet_alloc()))
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    if ((rc = avcodec_parameters_to_context(in->dec, in->fmt->streams[in->si]->codecpar)) < 0)
        return fr_err_av(err, FR_ERR_CODEC, rc, "avcodec_parameters_to_context");
    in->dec->thread_count = 1;
    if ((rc = avcodec_open2(in->dec, codec, NULL)) < 0)
        return fr_err_av(err, FR_ERR_CODEC, rc, "avcodec_open2");
    return FR_OK;
}

/* The next decoded frame whose timestamp is at least from (AV_NOPTS_VALUE: any). */
static fr_status next_frame(sheet_in *in, int64_t from, fr_err *err)
{
    int eof = 0;
    for (;;) {
        int rc = avcodec_receive_frame(in->dec, in->frame);
        if (rc == 0) {
            if (from == AV_NOPTS_VALUE || in->frame->best_effort_timestamp == AV_NOPTS_VALUE ||
                in->frame->best_effort_timestamp >= from)
                return FR_OK;
            av_frame_unref(in->frame);
            continue;
        }
        if (rc == AVERROR_EOF)
            return FR_EOF;
        if (rc != AVERROR(EAGAIN))
            return fr_err_av(err, FR_ERR_CODEC, rc, "avcodec_receive_frame");
        if (eof)
            return FR_EOF;
        rc = av_read_frame(in->fmt, in->pkt);
        if (rc == AVERROR_EOF) {
            eof = 1;
            rc = avcodec_send_packet(in->dec, NULL);
        } else if (rc < 0) {
            return fr_err_av(err, FR_ERR_INPUT, rc, "av_read_frame");
        } else {
            if (in->pkt->stream_index == in->si)
                rc = avcodec_send_packet(in->dec, in->pkt);
            av_packet_unref(in->pkt);
        }
        if (rc < 0 && rc != AVERROR_EOF)
            return fr_err_av(err, FR_ERR_CODEC, rc, "avcodec_send_packet");
    }
}

static fr_status encode_png(const uint8_t *rgb, int w, int h, unsigned char **png, size_t *len, fr_err *err)
{
    const AVCodec *enc = avcodec_find_encoder(AV_CODEC_ID_PNG);
    if (!enc)
        return fr_err_set(err, FR_ERR_CODEC, "this FFmpeg has no PNG encoder");
    AVCodecContext *c = avcodec_alloc_context3(enc);
    AVFrame *f = av_frame_alloc();
    AVPacket *p = av_packet_alloc();
    fr_status st = FR_OK;
    int rc = 0;
    if (!c || !f || !p) {
        st = fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        goto done;
    }
    c->width = w;
    c->height = h;
    c->pix_fmt = AV_PIX_FMT_RGB24;
    c->time_base = (AVRational){1, 1};
    if ((rc = avcodec_open2(c, enc, NULL)) < 0) {
        st = fr_err_av(err, FR_ERR_CODEC, rc, "avcodec_open2 png");
        goto done;
    }
    f->width = w;
    f->height = h;
    f->format = AV_PIX_FMT_RGB24;
    f->data[0] = (uint8_t *)rgb;
    f->linesize[0] = w * 3;
    f->pts = 0;
    if ((rc = avcodec_send_frame(c, f)) < 0 || (rc = avcodec_send_frame(c, NULL)) < 0) {
        st = fr_err_av(err, FR_ERR_CODEC, rc, "avcodec_send_frame png");
        goto done;
    }
    if ((rc = avcodec_receive_packet(c, p)) < 0) {
        st = fr_err_av(err, FR_ERR_CODEC, rc, "avcodec_receive_packet png");
        goto done;
    }
    if (!(*png = malloc((size_t)p->size))) {
        st = fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        goto done;
    }
    memcpy(*png, p->data, (size_t)p->size);
    *len = (size_t)p->size;
done:
    f->data[0] = NULL; /* not the frame's to free */
    av_packet_free(&p);
    av_frame_free(&f);
    avcodec_free_context(&c);
    return st;
}

fr_status fr_http_contact_sheet(const char *video, int n, int thumb_w, unsigned char **png, size_t *len,
                                fr_err *err)
{
    sheet_in in = {0};
    struct SwsContext *sws = NULL;
    uint8_t *strip = NULL;
    int th = 0, sheet_w = n * thumb_w + (n - 1) * GAP, taken = 0;
    fr_status st = in_open(&in, video, err);
    if (st != FR_OK)
        goto done;
    AVStream *s = in.fmt->streams[in.si];
    int64_t dur = s->duration;
    int64_t start = s->start_time == AV_NOPTS_VALUE ? 0 : s->start_time;
    if (dur == AV_NOPTS_VALUE && in.fmt->duration > 0)
        dur = av_rescale_q(in.fmt->duration, AV_TIME_BASE_Q, s->time_base);
    int seek = dur != AV_NOPTS_VALUE && dur > 0;
    for (int k = 0; k < n; k++) {
        int64_t at = AV_NOPTS_VALUE;
        if (seek) {
            at = start + av_rescale(dur, 2 * k + 1, 2 * n);
            if (av_seek_frame(in.fmt, in.si, at, AVSEEK_FLAG_BACKWARD) < 0) {
                seek = 0; /* go on frame by frame from where we are */
                at = AV_NOPTS_VALUE;
            } else
                avcodec_flush_buffers(in.dec);
        }
        st = next_frame(&in, at, err);
        if (st == FR_EOF) {
            st = FR_OK;
            break;
        }
        if (st != FR_OK)
            goto done;
        AVFrame *f = in.frame;
        if (!strip) {
            AVRational sar = f->sample_aspect_ratio.num > 0 ? f->sample_aspect_ratio : (AVRational){1, 1};
            th = (int)av_rescale(thumb_w, (int64_t)f->height * sar.den, (int64_t)f->width * sar.num) & ~1;
            th = th < 2 ? 2 : th > 4 * thumb_w ? 4 * thumb_w : th;
            if (!(strip = calloc((size_t)sheet_w * (size_t)th, 3))) {
                st = fr_err_set(err, FR_ERR_NOMEM, "out of memory");
                goto done;
            }
        }
        sws = sws_getCachedContext(sws, f->width, f->height, f->format, thumb_w, th, AV_PIX_FMT_RGB24,
                                   SWS_BILINEAR, NULL, NULL, NULL);
        if (!sws) {
            st = fr_err_set(err, FR_ERR_CODEC, "sws_getCachedContext: cannot scale %s %dx%d",
                            av_get_pix_fmt_name(f->format) ? av_get_pix_fmt_name(f->format) : "?", f->width,
                            f->height);
            goto done;
        }
        uint8_t *dst[4] = {strip + (size_t)k * (thumb_w + GAP) * 3, NULL, NULL, NULL};
        int dst_ls[4] = {sheet_w * 3, 0, 0, 0};
        if (sws_scale(sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dst, dst_ls) != th) {
            st = fr_err_set(err, FR_ERR_CODEC, "sws_scale failed");
            goto done;
        }
        av_frame_unref(f);
        taken++;
    }
    if (!taken) {
        st = fr_err_set(err, FR_ERR_INPUT, "%s: no frame decoded", video);
        goto done;
    }
    /* fewer frames than asked: a narrower strip, its rows packed */
    int w = taken * thumb_w + (taken - 1) * GAP;
    for (int y = 1; y < th && w < sheet_w; y++)
        memmove(strip + (size_t)y * w * 3, strip + (size_t)y * sheet_w * 3, (size_t)w * 3);
    st = encode_png(strip, w, th, png, len, err);
done:
    sws_freeContext(sws);
    free(strip);
    in_close(&in);
    return st;
}
