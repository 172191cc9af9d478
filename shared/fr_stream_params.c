/* fr_stream_params.c: the video stream's decoder parameters as bytes (fr_stream_params.h). */
#include "fr_stream_params.h"

#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#define MAGIC 0x31525453 /* "STR1" */
#define N_FIELDS 32
#define MAX_EXTRADATA (1 << 24)

/* The fields, in order: fr_video_info's, then the codec parameters'. */
static void fields_of(const fr_video_info *in, const AVCodecParameters *p, int64_t *f)
{
    int64_t v[N_FIELDS] = {
        MAGIC, in->width, in->height, in->bits, in->full_range, in->time_base.num, in->time_base.den,
        in->frame_rate.num, in->frame_rate.den, in->nb_frames, in->stream_index, in->sar.num, in->sar.den,
        in->pix_fmt, in->colorspace, in->primaries, in->trc, in->range,
        p->codec_id, p->codec_tag, p->format, p->width, p->height, p->profile, p->level,
        p->bits_per_coded_sample, p->bits_per_raw_sample, p->field_order, p->chroma_location, p->video_delay,
        p->extradata_size, 0};
    memcpy(f, v, sizeof v);
}

fr_status fr_stream_params_pack(const fr_video_in *v, uint8_t **buf, size_t *len, fr_err *err)
{
    const AVFormatContext *fmt = fr_video_in_format(v);
    const fr_video_info *in = fr_video_in_info(v);
    const AVCodecParameters *p = fmt->streams[in->stream_index]->codecpar;
    int64_t f[N_FIELDS];
    fields_of(in, p, f);
    size_t n = sizeof f + (size_t)p->extradata_size;
    uint8_t *b = malloc(n);
    if (!b)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    memcpy(b, f, sizeof f);
    if (p->extradata_size > 0)
        memcpy(b + sizeof f, p->extradata, (size_t)p->extradata_size);
    *buf = b;
    *len = n;
    return FR_OK;
}

static int fits_int(int64_t v) { return v >= -2147483647 && v <= 2147483647; }

fr_status fr_stream_params_unpack(const uint8_t *buf, size_t len, fr_video_info *in, AVCodecParameters **out,
                                  fr_err *err)
{
    *out = NULL;
    int64_t f[N_FIELDS];
    if (len < sizeof f)
        return fr_err_set(err, FR_ERR_MPI, "stream parameters: %zu bytes, too short", len);
    memcpy(f, buf, sizeof f);
    for (int i = 1; i < N_FIELDS; i++)
        if (i != 9 && !fits_int(f[i]))
            return fr_err_set(err, FR_ERR_MPI, "stream parameters: field %d out of range", i);
    if (f[0] != MAGIC || f[1] <= 0 || f[2] <= 0 || f[3] < 1 || f[3] > 16 || f[6] <= 0 || f[5] <= 0 ||
        f[27] < AV_FIELD_UNKNOWN || f[27] > AV_FIELD_BT ||
        f[30] < 0 || f[30] > MAX_EXTRADATA || len != sizeof f + (size_t)f[30])
        return fr_err_set(err, FR_ERR_MPI, "stream parameters are malformed");
    memset(in, 0, sizeof *in);
    in->width = (int)f[1];
    in->height = (int)f[2];
    in->bits = (int)f[3];
    in->full_range = f[4] != 0;
    in->time_base = (AVRational){(int)f[5], (int)f[6]};
    in->frame_rate = (AVRational){(int)f[7], (int)f[8]};
    in->nb_frames = f[9];
    in->duration = -1;
    in->stream_index = (int)f[10];
    in->sar = (AVRational){(int)f[11], (int)f[12]};
    in->pix_fmt = (enum AVPixelFormat)f[13];
    in->colorspace = (enum AVColorSpace)f[14];
    in->primaries = (enum AVColorPrimaries)f[15];
    in->trc = (enum AVColorTransferCharacteristic)f[16];
    in->range = (enum AVColorRange)f[17];
    AVCodecParameters *p = avcodec_parameters_alloc();
    if (!p)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    p->codec_type = AVMEDIA_TYPE_VIDEO;
    p->codec_id = (enum AVCodecID)f[18];
    p->codec_tag = (uint32_t)f[19];
    p->format = (int)f[20];
    p->width = (int)f[21];
    p->height = (int)f[22];
    p->profile = (int)f[23];
    p->level = (int)f[24];
    p->bits_per_coded_sample = (int)f[25];
    p->bits_per_raw_sample = (int)f[26];
    p->field_order = (enum AVFieldOrder)f[27];
    in->field_order = p->field_order;
    p->chroma_location = (enum AVChromaLocation)f[28];
    p->video_delay = (int)f[29];
    p->color_range = in->range;
    p->color_space = in->colorspace;
    p->color_primaries = in->primaries;
    p->color_trc = in->trc;
    p->sample_aspect_ratio = in->sar;
    if (f[30] > 0) {
        p->extradata = av_mallocz((size_t)f[30] + AV_INPUT_BUFFER_PADDING_SIZE);
        if (!p->extradata) {
            avcodec_parameters_free(&p);
            return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        }
        memcpy(p->extradata, buf + sizeof f, (size_t)f[30]);
        p->extradata_size = (int)f[30];
    }
    if (!avcodec_find_decoder(p->codec_id)) {
        avcodec_parameters_free(&p);
        return fr_err_set(err, FR_ERR_INPUT, "no decoder here for the source's video codec (id %lld)", (long long)f[18]);
    }
    *out = p;
    return FR_OK;
}
