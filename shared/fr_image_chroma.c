/* fr_image_chroma.c: decode a still and scale its chroma to render size (fr_image_chroma.h). */
#include "fr_image_chroma.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>

#include "fr_av_open.h"
#include "fr_colour_matrix.h"
#include "fr_video_in.h"

static uint8_t to_u8(float v)
{
    v = roundf(v);
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

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

fr_status fr_image_chroma(const char *path, int size, int colorspace, uint8_t *cbcr, fr_err *err)
{
    AVFrame *f = av_frame_alloc();
    if (!f)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    fr_status st = decode_first(path, f, err);
    struct SwsContext *to_rgb = NULL, *scale = NULL;
    uint8_t *rgb[4] = {NULL}, *dst[4] = {NULL};
    int rl[4], dl[4];
    if (st != FR_OK)
        goto done;
    /* swscale scales RGB through YCbCr of its own, levels off: so the picture goes to planar
     * RGB at its own size first (a YCbCr picture in its own matrix and range), and each
     * plane is scaled alone, as gray, which no matrix touches */
    if (av_image_alloc(rgb, rl, f->width, f->height, AV_PIX_FMT_GBRP, 16) < 0 ||
        av_image_alloc(dst, dl, size, size, AV_PIX_FMT_GRAY16, 16) < 0) {
        st = fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        goto done;
    }
    enum AVPixelFormat src = (enum AVPixelFormat)f->format;
    to_rgb = sws_getContext(f->width, f->height, src, f->width, f->height, AV_PIX_FMT_GBRP,
                            SWS_POINT | SWS_ACCURATE_RND | SWS_BITEXACT, NULL, NULL, NULL);
    scale = sws_getContext(f->width, f->height, AV_PIX_FMT_GRAY8, size, size, AV_PIX_FMT_GRAY16,
                           SWS_BILINEAR | SWS_ACCURATE_RND | SWS_BITEXACT, NULL, NULL, NULL);
    if (!to_rgb || !scale) {
        st = fr_err_set(err, FR_ERR_INPUT, "reference %s: cannot convert its pixel format", path);
        goto done;
    }
    const int *own = sws_getCoefficients(fr_colour_matrix_of(f->colorspace)->sws); /* a YCbCr picture's */
    int src_full = f->color_range == AVCOL_RANGE_JPEG || src == AV_PIX_FMT_YUVJ420P ||
                   src == AV_PIX_FMT_YUVJ422P || src == AV_PIX_FMT_YUVJ444P;
    if (sws_setColorspaceDetails(to_rgb, own, src_full, own, 1, 0, 1 << 16, 1 << 16) < 0) {
        st = fr_err_set(err, FR_ERR_INPUT, "reference %s: swscale cannot read its colours", path);
        goto done;
    }
    if (sws_scale(to_rgb, (const uint8_t *const *)f->data, f->linesize, 0, f->height, rgb, rl) != f->height) {
        st = fr_err_set(err, FR_ERR_INPUT, "reference %s: sws_scale did not convert the picture", path);
        goto done;
    }
    float kcb[3], kcr[3];
    fr_colour_matrix_coefs(fr_colour_matrix_of(colorspace), kcb, kcr);
    uint16_t *planes = malloc(sizeof *planes * 3 * (size_t)size * size); /* R, G, B at render size */
    if (!planes) {
        st = fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        goto done;
    }
    static const int gbrp_plane_of[3] = {2, 0, 1}; /* R, G, B in GBRP's planes */
    for (int c = 0; c < 3 && st == FR_OK; c++) {
        const uint8_t *in[4] = {rgb[gbrp_plane_of[c]]};
        int il[4] = {rl[gbrp_plane_of[c]]};
        if (sws_scale(scale, in, il, 0, f->height, dst, dl) != size)
            st = fr_err_set(err, FR_ERR_INPUT, "reference %s: sws_scale did not scale the picture", path);
        for (int y = 0; st == FR_OK && y < size; y++)
            memcpy(planes + ((size_t)c * size + y) * size, dst[0] + (size_t)y * dl[0], sizeof *planes * (size_t)size);
    }
    /* RGB into the film's chroma, by the model's own arithmetic (fr_colour_matrix_coefs) */
    for (size_t i = 0, n = (size_t)size * size; st == FR_OK && i < n; i++) {
        float r = planes[i] / 257.0f, g = planes[n + i] / 257.0f, b = planes[2 * n + i] / 257.0f;
        cbcr[2 * i] = to_u8(128.0f + kcb[0] * r + kcb[1] * g + kcb[2] * b);
        cbcr[2 * i + 1] = to_u8(128.0f + kcr[0] * r + kcr[1] * g + kcr[2] * b);
    }
    free(planes);
done:
    sws_freeContext(to_rgb);
    sws_freeContext(scale);
    av_freep(&rgb[0]);
    av_freep(&dst[0]);
    av_frame_free(&f);
    return st;
}
