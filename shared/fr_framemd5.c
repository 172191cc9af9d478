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
#include "fr_sys.h"

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
    if ((st = fr_av_open(&ic, media, NULL, NULL, media, err)) != FR_OK)
        goto done;
    if ((ret = avformat_find_stream_info(ic, NULL)) < 0) {
        st = fr_err_av(err, FR_ERR_INPUT, ret, media);
        goto done;
    }
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

fr_status fr_framemd5_sidecar(const char *media, fr_err *err)
{
    char *text;
    size_t len;
    fr_status st = fr_framemd5_text(media, &text, &len, err);
    if (st != FR_OK)
        return st;
    char path[4200], tmp[4300];
    snprintf(path, sizeof path, "%s.framemd5", media);
    snprintf(tmp, sizeof tmp, "%s.partial-%d", path, (int)getpid());
    const fr_sys_table *sys = fr_sys();
    int fd = sys->open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    int ok = fd >= 0 && fr_sys_write_all(fd, text, len) == 0 && sys->fsync(fd) == 0;
    int e = errno;
    if (fd >= 0 && sys->close(fd) != 0 && ok) {
        ok = 0;
        e = errno;
    }
    if (ok && sys->rename(tmp, path) != 0) {
        ok = 0;
        e = errno;
    }
    free(text);
    if (!ok) {
        unlink(tmp);
        return fr_err_set(err, FR_ERR_IO, "cannot write %s: %s", path, strerror(e));
    }
    return FR_OK;
}
