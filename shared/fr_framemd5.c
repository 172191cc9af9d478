/* fr_framemd5.c: framemd5 text of a file's video (fr_framemd5.h).
 *
 * Demux and decode every video stream (as -map 0:v does), turn each frame into a
 * rawvideo packet (the image packed with alignment 1, as the rawvideo encoder does),
 * and hand it to libavformat's framemd5 muxer writing into memory. Timestamps: the
 * ffmpeg tool subtracts the file's start time and encodes in 1/frame-rate, so the same
 * is done here (the stream's own time base when it declares no rate). */
#include "fr_framemd5.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>

#include "fr_av_open.h"
#include "fr_pktlist.h"
#include "fr_sys.h"

#include <inttypes.h>
#include <libavutil/md5.h>

typedef struct {
    AVCodecContext *dec;
    int out_index;
    AVRational tb;   /* output time base */
} vstream;

static fr_status put_frame(AVFormatContext *oc, const vstream *vs, AVFrame *fr, int64_t offset, const AVStream *in,
                           fr_err *err)
{
    int size = av_image_get_buffer_size(fr->format, fr->width, fr->height, 1);
    if (size < 0)
        return fr_err_av(err, FR_ERR_INPUT, size, "frame size");
    AVPacket *pkt = av_packet_alloc();
    if (!pkt || av_new_packet(pkt, size) < 0) {
        av_packet_free(&pkt);
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    }
    int ret = av_image_copy_to_buffer(pkt->data, size, (const uint8_t *const *)fr->data, fr->linesize, fr->format,
                                      fr->width, fr->height, 1);
    int64_t pts = fr->best_effort_timestamp;
    if (pts != AV_NOPTS_VALUE)
        pts = av_rescale_q_rnd(pts - offset, in->time_base, vs->tb, AV_ROUND_NEAR_INF | AV_ROUND_PASS_MINMAX);
    pkt->pts = pkt->dts = pts;
    pkt->duration = 1;
    pkt->stream_index = vs->out_index;
    pkt->flags |= AV_PKT_FLAG_KEY;
    if (ret >= 0)
        ret = av_write_frame(oc, pkt);
    av_packet_free(&pkt);
    return ret < 0 ? fr_err_av(err, FR_ERR_CODEC, ret, "framemd5") : FR_OK;
}

static fr_status drain(AVFormatContext *oc, vstream *vs, AVFrame *fr, int64_t offset, const AVStream *in, fr_err *err)
{
    for (;;) {
        int ret = avcodec_receive_frame(vs->dec, fr);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return FR_OK;
        if (ret < 0)
            return fr_err_av(err, FR_ERR_INPUT, ret, "decoding");
        fr_status st = put_frame(oc, vs, fr, offset, in, err);
        av_frame_unref(fr);
        if (st != FR_OK)
            return st;
    }
}

/* media opened for reading (fr_av_open's rules), with its streams' parameters read. */
static fr_status open_media(const char *media, AVFormatContext **ic, fr_err *err)
{
    fr_status st = fr_av_open(ic, media, NULL, NULL, media, err);
    int ret;
    if (st == FR_OK && (ret = avformat_find_stream_info(*ic, NULL)) < 0)
        st = fr_err_av(err, FR_ERR_INPUT, ret, media);
    return st;
}

fr_status fr_framemd5_text(const char *media, char **text, size_t *len, fr_err *err)
{
    *text = NULL;
    *len = 0;
    AVFormatContext *ic = NULL, *oc = NULL;
    vstream *vs = NULL;
    AVPacket *pkt = av_packet_alloc();
    AVFrame *fr = av_frame_alloc();
    fr_status st = FR_OK;
    int ret, header = 0;
    if (!pkt || !fr) {
        st = fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((st = open_media(media, &ic, err)) != FR_OK)
        goto done;
    if ((ret = avformat_alloc_output_context2(&oc, NULL, "framemd5", NULL)) < 0 || (ret = avio_open_dyn_buf(&oc->pb)) < 0) {
        st = fr_err_av(err, FR_ERR_NOMEM, ret, "framemd5");
        goto done;
    }
    if (!(vs = calloc(ic->nb_streams, sizeof *vs))) {
        st = fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        goto done;
    }
    int n_video = 0;
    for (unsigned i = 0; i < ic->nb_streams; i++) {
        AVStream *s = ic->streams[i];
        vs[i].out_index = -1;
        if (s->codecpar->codec_type != AVMEDIA_TYPE_VIDEO || (s->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
            s->discard = AVDISCARD_ALL;
            continue;
        }
        const AVCodec *c = avcodec_find_decoder(s->codecpar->codec_id);
        if (!c || !(vs[i].dec = avcodec_alloc_context3(c)) ||
            avcodec_parameters_to_context(vs[i].dec, s->codecpar) < 0 || avcodec_open2(vs[i].dec, c, NULL) < 0) {
            st = fr_err_set(err, FR_ERR_INPUT, "%s: cannot decode video stream %u", media, i);
            goto done;
        }
        AVRational rate = av_guess_frame_rate(ic, s, NULL);
        vs[i].tb = rate.num > 0 && rate.den > 0 ? av_inv_q(rate) : s->time_base;
        AVStream *os = avformat_new_stream(oc, NULL);
        if (!os) {
            st = fr_err_set(err, FR_ERR_NOMEM, "out of memory");
            goto done;
        }
        os->time_base = vs[i].tb;
        os->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
        os->codecpar->codec_id = AV_CODEC_ID_RAWVIDEO;
        os->codecpar->width = vs[i].dec->width;
        os->codecpar->height = vs[i].dec->height;
        os->codecpar->format = vs[i].dec->pix_fmt;
        AVRational sar = av_guess_sample_aspect_ratio(ic, s, NULL);
        os->sample_aspect_ratio = os->codecpar->sample_aspect_ratio = sar.num > 0 && sar.den > 0 ? sar : (AVRational){1, 1};
        vs[i].out_index = n_video++;
    }
    if (!n_video) {
        st = fr_err_set(err, FR_ERR_INPUT, "%s: no video stream", media);
        goto done;
    }
    if ((ret = avformat_write_header(oc, NULL)) < 0) {
        st = fr_err_av(err, FR_ERR_CODEC, ret, "framemd5");
        goto done;
    }
    header = 1;
    int64_t offset = ic->start_time != AV_NOPTS_VALUE ? ic->start_time : 0;
    while (st == FR_OK && (ret = av_read_frame(ic, pkt)) >= 0) {
        vstream *v = &vs[pkt->stream_index];
        if (v->dec) {
            const AVStream *in = ic->streams[pkt->stream_index];
            int64_t off = av_rescale_q(offset, AV_TIME_BASE_Q, in->time_base);
            if ((ret = avcodec_send_packet(v->dec, pkt)) < 0 && ret != AVERROR(EAGAIN))
                st = fr_err_av(err, FR_ERR_INPUT, ret, "decoding");
            else
                st = drain(oc, v, fr, off, in, err);
        }
        av_packet_unref(pkt);
    }
    if (st == FR_OK && ret != AVERROR_EOF)
        st = fr_err_av(err, FR_ERR_INPUT, ret, media);
    for (unsigned i = 0; st == FR_OK && i < ic->nb_streams; i++)
        if (vs[i].dec) {
            const AVStream *in = ic->streams[i];
            avcodec_send_packet(vs[i].dec, NULL);
            st = drain(oc, &vs[i], fr, av_rescale_q(offset, AV_TIME_BASE_Q, in->time_base), in, err);
        }
    header = 0;
    if ((ret = av_write_trailer(oc)) < 0 && st == FR_OK)
        st = fr_err_av(err, FR_ERR_CODEC, ret, "framemd5");
done:
    if (header)
        av_write_trailer(oc);
    if (oc && oc->pb) {
        uint8_t *buf = NULL;
        int n = avio_close_dyn_buf(oc->pb, &buf);
        oc->pb = NULL;
        if (st == FR_OK && (*text = malloc((size_t)n + 1))) {
            memcpy(*text, buf, (size_t)n);
            (*text)[n] = 0;
            *len = (size_t)n;
        } else if (st == FR_OK) {
            st = fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        }
        av_free(buf);
    }
    for (unsigned i = 0; vs && ic && i < ic->nb_streams; i++)
        avcodec_free_context(&vs[i].dec);
    free(vs);
    avformat_free_context(oc);
    avformat_close_input(&ic);
    av_packet_free(&pkt);
    av_frame_free(&fr);
    return st;
}

/* MEDIA.framemd5, through a temporary and a rename. */
static fr_status write_sidecar(const char *media, const char *text, size_t len, fr_err *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s.framemd5", media);
    fr_sys_piece all = {text, len};
    if (fr_sys_write_file(path, &all, 1) != 0)
        return fr_err_set(err, FR_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    return FR_OK;
}

fr_status fr_framemd5_sidecar(const char *media, fr_err *err)
{
    char *text;
    size_t len;
    fr_status st = fr_framemd5_text(media, &text, &len, err);
    if (st != FR_OK)
        return st;
    st = write_sidecar(media, text, len, err);
    free(text);
    return st;
}

/* ---- from digests: the nodes hash their own segments ------------------------------------ */

fr_status fr_framemd5_frame_digest(const AVFrame *fr, uint8_t digest[16], fr_err *err)
{
    int size = av_image_get_buffer_size(fr->format, fr->width, fr->height, 1);
    uint8_t *img = size > 0 ? av_malloc((size_t)size) : NULL;
    if (!img)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory for a frame's md5");
    av_image_copy_to_buffer(img, size, (const uint8_t *const *)fr->data, fr->linesize, fr->format, fr->width,
                            fr->height, 1);
    av_md5_sum(digest, img, size);
    av_free(img);
    return FR_OK;
}

fr_status fr_framemd5_digests(const struct AVCodecParameters *par, const uint8_t *pkts, size_t len, uint8_t *digests,
                              int64_t n, fr_err *err)
{
    const AVCodec *c = avcodec_find_decoder(par->codec_id);
    AVCodecContext *dec = c ? avcodec_alloc_context3(c) : NULL;
    AVPacket *pkt = av_packet_alloc();
    AVFrame *fr = av_frame_alloc();
    uint8_t *img = NULL;
    int64_t done = 0;
    fr_status st = FR_OK;
    if (!dec || !pkt || !fr || avcodec_parameters_to_context(dec, par) < 0) {
        st = fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        goto done;
    }
    dec->thread_count = 1;
    if (avcodec_open2(dec, c, NULL) < 0) {
        st = fr_err_set(err, FR_ERR_CODEC, "cannot open a %s decoder to hash the segment", c->name);
        goto done;
    }
    size_t pos = 0;
    fr_pkt p;
    int more = 1;
    while (st == FR_OK && more) {
        int r = fr_pktlist_next(pkts, len, &pos, &p);
        if (r < 0) {
            st = fr_err_set(err, FR_ERR_INTERNAL, "malformed packet list");
            break;
        }
        more = r == 1;
        int ret;
        if (more) {
            if (av_new_packet(pkt, p.size) < 0) {
                st = fr_err_set(err, FR_ERR_NOMEM, "out of memory");
                break;
            }
            memcpy(pkt->data, p.data, (size_t)p.size);
            pkt->pts = p.pts;
            pkt->dts = p.dts;
            ret = avcodec_send_packet(dec, pkt);
            av_packet_unref(pkt);
        } else {
            ret = avcodec_send_packet(dec, NULL);
        }
        if (ret < 0 && ret != AVERROR(EAGAIN)) {
            st = fr_err_av(err, FR_ERR_CODEC, ret, "decoding the segment to hash it");
            break;
        }
        while (st == FR_OK && (ret = avcodec_receive_frame(dec, fr)) == 0) {
            int size = av_image_get_buffer_size(fr->format, fr->width, fr->height, 1);
            uint8_t *b = size > 0 && done < n ? av_realloc(img, (size_t)size) : NULL;
            if (!b) {
                st = fr_err_set(err, FR_ERR_CODEC, "segment decodes to more than %lld frames, or a bad frame", (long long)n);
                break;
            }
            img = b;
            av_image_copy_to_buffer(img, size, (const uint8_t *const *)fr->data, fr->linesize, fr->format, fr->width,
                                    fr->height, 1);
            av_md5_sum(digests + 16 * done++, img, size);
            av_frame_unref(fr);
        }
    }
    if (st == FR_OK && done != n)
        st = fr_err_set(err, FR_ERR_CODEC, "segment decodes to %lld frames, not %lld", (long long)done, (long long)n);
done:
    av_free(img);
    avcodec_free_context(&dec);
    av_packet_free(&pkt);
    av_frame_free(&fr);
    return st;
}

static int by_value(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The lines fr_framemd5_text would give for media, from the frames' digests: timestamps
 * from a demux of media (no decode), sizes from its picture format. */
static fr_status text_from_digests(const char *media, const uint8_t *digests, int64_t n, AVIOContext *pb, fr_err *err)
{
    AVFormatContext *ic = NULL, *oc = NULL;
    AVPacket *pkt = av_packet_alloc();
    int64_t *pts = malloc(sizeof *pts * (size_t)(n > 0 ? n : 1)), got = 0;
    fr_status st = FR_OK;
    int ret;
    if (!pkt || !pts) {
        st = fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((st = open_media(media, &ic, err)) != FR_OK)
        goto done;
    int vi = av_find_best_stream(ic, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (vi < 0) {
        st = fr_err_set(err, FR_ERR_INPUT, "%s: no video stream", media);
        goto done;
    }
    AVStream *s = ic->streams[vi];
    AVRational rate = av_guess_frame_rate(ic, s, NULL);
    AVRational tb = rate.num > 0 && rate.den > 0 ? av_inv_q(rate) : s->time_base;
    if ((ret = avformat_alloc_output_context2(&oc, NULL, "framemd5", NULL)) < 0) {
        st = fr_err_av(err, FR_ERR_NOMEM, ret, "framemd5");
        goto done;
    }
    oc->pb = pb;
    AVStream *os = avformat_new_stream(oc, NULL);
    if (!os) {
        st = fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        goto done;
    }
    os->time_base = tb;
    os->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
    os->codecpar->codec_id = AV_CODEC_ID_RAWVIDEO;
    os->codecpar->width = s->codecpar->width;
    os->codecpar->height = s->codecpar->height;
    os->codecpar->format = s->codecpar->format;
    AVRational sar = av_guess_sample_aspect_ratio(ic, s, NULL);
    os->sample_aspect_ratio = os->codecpar->sample_aspect_ratio = sar.num > 0 && sar.den > 0 ? sar : (AVRational){1, 1};
    if ((ret = avformat_write_header(oc, NULL)) < 0) {
        st = fr_err_av(err, FR_ERR_CODEC, ret, "framemd5");
        goto done;
    }
    for (unsigned i = 0; i < ic->nb_streams; i++)
        if ((int)i != vi)
            ic->streams[i]->discard = AVDISCARD_ALL;
    while ((ret = av_read_frame(ic, pkt)) >= 0) {
        if (pkt->stream_index == vi && got < n)
            pts[got] = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
        got += pkt->stream_index == vi;
        av_packet_unref(pkt);
    }
    if (got != n) {
        st = fr_err_set(err, FR_ERR_INTERNAL, "%s: %lld video packets, %lld frame digests", media, (long long)got, (long long)n);
        goto done;
    }
    qsort(pts, (size_t)n, sizeof *pts, by_value);
    int64_t off = av_rescale_q(ic->start_time != AV_NOPTS_VALUE ? ic->start_time : 0, AV_TIME_BASE_Q, s->time_base);
    int size = av_image_get_buffer_size(s->codecpar->format, s->codecpar->width, s->codecpar->height, 1);
    for (int64_t i = 0; i < n; i++) {
        int64_t t = av_rescale_q_rnd(pts[i] - off, s->time_base, tb, AV_ROUND_NEAR_INF | AV_ROUND_PASS_MINMAX);
        char hex[33];
        for (int k = 0; k < 16; k++)
            snprintf(hex + 2 * k, 3, "%02x", digests[16 * i + k]);
        avio_printf(pb, "%d, %10" PRId64 ", %10" PRId64 ", %8" PRId64 ", %8d, %s\n", 0, t, t, (int64_t)1, size, hex);
    }
done:
    if (oc)
        oc->pb = NULL;
    avformat_free_context(oc);
    avformat_close_input(&ic);
    av_packet_free(&pkt);
    free(pts);
    return st;
}

fr_status fr_framemd5_sidecar_digests(const char *media, const uint8_t *digests, int64_t n, fr_err *err)
{
    AVIOContext *pb = NULL;
    if (avio_open_dyn_buf(&pb) < 0)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    fr_status st = text_from_digests(media, digests, n, pb, err);
    uint8_t *buf = NULL;
    int len = avio_close_dyn_buf(pb, &buf);
    if (st == FR_OK)
        st = write_sidecar(media, (const char *)buf, (size_t)len, err);
    av_free(buf);
    return st;
}
