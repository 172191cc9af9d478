/* fr_image_chroma.c: decode a still and scale its chroma to render size (fr_image_chroma.h). */
#include "fr_image_chroma.h"

#include <stdlib.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>

#include "fr_av_open.h"
#include "fr_video_in.h"

/* The first picture of the file, decoded into f. */
static fr_status decode_first(const char *path, AVFrame *f, fr_err *err)
{
    AVFormatContext *fc = NULL;
    AVCodecContext *cc = NULL;
    AVPacket *pkt = av_packet_alloc();
    fr_status st = FR_OK;
    int got = 0;
    if (!pkt)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    char what[1100];
    snprintf(what, sizeof what, "reference %s: cannot be read", path);
    if ((st = fr_av_open(&fc, path, NULL, NULL, what, err)) != FR_OK)
        goto done;
    if (avformat_find_stream_info(fc, NULL) < 0) {
        st = fr_err_set(err, FR_ERR_INPUT, "reference %s: not a picture FFmpeg reads", path);
        goto done;
    }
    int si = av_find_best_stream(fc, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    int64_t cap = fr_video_in_max_pixels();
    if (si >= 0 && (int64_t)fc->streams[si]->codecpar->width * fc->streams[si]->codecpar->height > cap) {
        st = fr_err_set(err, FR_ERR_INPUT, "reference %s: the picture is %dx%d, more than --max-pixels allows (%lld pixels)",
                        path, fc->streams[si]->codecpar->width, fc->streams[si]->codecpar->height, (long long)cap);
        goto done;
    }
    const AVCodec *dec = si >= 0 ? avcodec_find_decoder(fc->streams[si]->codecpar->codec_id) : NULL;
    if (dec && (cc = avcodec_alloc_context3(dec)))
        cc->max_pixels = cap; /* the decoder refuses a larger frame too (a header may lie) */
    if (!dec || !cc || avcodec_parameters_to_context(cc, fc->streams[si]->codecpar) < 0 ||
        avcodec_open2(cc, dec, NULL) < 0) {
        st = fr_err_set(err, FR_ERR_INPUT, "reference %s: no picture in it that FFmpeg can decode", path);
        goto done;
    }
    while (!got && av_read_frame(fc, pkt) >= 0) {
        if (pkt->stream_index == si && avcodec_send_packet(cc, pkt) >= 0)
            got = avcodec_receive_frame(cc, f) >= 0;
        av_packet_unref(pkt);
    }
    if (!got && avcodec_send_packet(cc, NULL) >= 0)
        got = avcodec_receive_frame(cc, f) >= 0;
    if (!got || f->width < 1 || f->height < 1)
        st = fr_err_set(err, FR_ERR_INPUT, "reference %s: the picture cannot be decoded", path);
done:
    av_packet_free(&pkt);
    avcodec_free_context(&cc);
    avformat_close_input(&fc);
    return st;
}

fr_status fr_image_chroma(const char *path, int size, uint8_t *cbcr, fr_err *err)
{
    AVFrame *f = av_frame_alloc();
    if (!f)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    fr_status st = decode_first(path, f, err);
    struct SwsContext *sws = NULL;
    uint8_t *dst[4] = {NULL};
    int dl[4];
    if (st != FR_OK)
        goto done;
    if (av_image_alloc(dst, dl, size, size, AV_PIX_FMT_YUV444P, 16) < 0) {
        st = fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        goto done;
    }
    enum AVPixelFormat src = (enum AVPixelFormat)f->format;
    sws = sws_getContext(f->width, f->height, src, size, size, AV_PIX_FMT_YUV444P,
                         SWS_BILINEAR | SWS_ACCURATE_RND | SWS_BITEXACT, NULL, NULL, NULL);
    if (!sws) {
        st = fr_err_set(err, FR_ERR_INPUT, "reference %s: cannot convert its pixel format", path);
        goto done;
    }
    const int *coefs = sws_getCoefficients(SWS_CS_ITU601);
    int src_full = f->color_range == AVCOL_RANGE_JPEG || src == AV_PIX_FMT_YUVJ420P ||
                   src == AV_PIX_FMT_YUVJ422P || src == AV_PIX_FMT_YUVJ444P;
    sws_setColorspaceDetails(sws, coefs, src_full, coefs, 1, 0, 1 << 16, 1 << 16);
    if (sws_scale(sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dst, dl) != size) {
        st = fr_err_set(err, FR_ERR_INPUT, "reference %s: sws_scale did not convert the picture", path);
        goto done;
    }
    for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++) {
            size_t i = (size_t)y * size + x;
            cbcr[2 * i] = dst[1][(size_t)y * dl[1] + x];
            cbcr[2 * i + 1] = dst[2][(size_t)y * dl[2] + x];
        }
done:
    sws_freeContext(sws);
    av_freep(&dst[0]);
    av_frame_free(&f);
    return st;
}
