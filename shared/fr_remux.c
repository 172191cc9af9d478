/* fr_remux.c: re-encode a film with new chroma and its original luma (fr_remux.h).
 *
 * Flow: fr_video_in decodes the source and hands the other streams' packets
 * to copy_packet(); each decoded frame becomes an output frame in
 * build_frame() (luma copied at the output depth, chroma from the callback,
 * upsampled by swscale), which is encoded and muxed. Output files are
 * deterministic: the encoders and the muxer run in bit-exact mode with fixed
 * thread and slice counts, so the same input and chroma give the same bytes. */
#include "fr_remux.h"

#include <errno.h>
#include <glob.h>
#include <signal.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "fr_colour_matrix.h"
#include "fr_framemd5.h"
#include "fr_log.h"
#include "fr_outfile.h"
#include "fr_pktlist.h"

#define FR_ENCODER_THREADS 4 /* fixed, so output bytes never depend on the machine */

typedef struct {
    const fr_remux_opts *opts;
    fr_video_in *in;
    const fr_video_info *info;
    AVFormatContext *oc;
    AVCodecContext *enc;
    AVStream *ost;
    int *stream_map;          /* input stream index -> output index, -1 = dropped */
    AVFrame *work;            /* YUV at the output depth (or 8/16-bit 4:4:4 for RGB outputs) */
    AVFrame *rgb;             /* only for image outputs */
    struct SwsContext *up, *to_rgb;
    uint8_t *chroma, *cb, *cr, *cb_up, *cr_up;
    uint16_t lut[256];        /* 8-bit full-range chroma -> output chroma code */
    int out_bits, cw, ch;
    int64_t frames;
    AVPacket *opkt;
    fr_outfile *out;          /* the muxer's file, unless the format writes its own (images) */
    fr_pktlist *packets;      /* segment mode: encoded packets go here, not to a muxer */
} remux;

static const struct {
    const char *name;
    fr_codec codec;
} codec_names[] = {{"h264", FR_CODEC_H264}, {"ffv1", FR_CODEC_FFV1}, {"prores", FR_CODEC_PRORES},
                   {"png", FR_CODEC_PNG},   {"tiff", FR_CODEC_TIFF}};

int fr_codec_parse(const char *name, fr_codec *out)
{
    for (size_t i = 0; i < sizeof codec_names / sizeof codec_names[0]; i++)
        if (!strcmp(name, codec_names[i].name)) {
            *out = codec_names[i].codec;
            return 1;
        }
    return 0;
}

const char *fr_codec_name(fr_codec c)
{
    for (size_t i = 0; i < sizeof codec_names / sizeof codec_names[0]; i++)
        if (codec_names[i].codec == c)
            return codec_names[i].name;
    return "auto";
}

fr_codec fr_codec_of_id(int id)
{
    switch (id) {
    case AV_CODEC_ID_H264: return FR_CODEC_H264;
    case AV_CODEC_ID_FFV1: return FR_CODEC_FFV1;
    case AV_CODEC_ID_PRORES: return FR_CODEC_PRORES;
    case AV_CODEC_ID_PNG: return FR_CODEC_PNG;
    case AV_CODEC_ID_TIFF: return FR_CODEC_TIFF;
    default: return FR_CODEC_AUTO;
    }
}

int fr_tags_set(fr_tags *tags, const char *key, const char *value)
{
    int i = 0;
    while (i < tags->n && strcmp(tags->t[i].key, key))
        i++;
    if (i == FR_REMUX_MAX_TAGS)
        return 0;
    snprintf(tags->t[i].key, sizeof tags->t[i].key, "%s", key);
    snprintf(tags->t[i].value, sizeof tags->t[i].value, "%s", value);
    if (i == tags->n)
        tags->n++;
    return 1;
}

static fr_codec codec_for_extension(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (!dot)
        return FR_CODEC_AUTO;
    if (!strcasecmp(dot, ".mkv"))
        return FR_CODEC_FFV1;
    if (!strcasecmp(dot, ".mov"))
        return FR_CODEC_PRORES;
    if (!strcasecmp(dot, ".png"))
        return FR_CODEC_PNG;
    if (!strcasecmp(dot, ".tif") || !strcasecmp(dot, ".tiff"))
        return FR_CODEC_TIFF;
    return FR_CODEC_H264;
}

static const char *encoder_name(fr_codec c)
{
    switch (c) {
    case FR_CODEC_H264: return "libx264";
    case FR_CODEC_FFV1: return "ffv1";
    case FR_CODEC_PRORES: return "prores_ks";
    case FR_CODEC_PNG: return "png";
    case FR_CODEC_TIFF: return "tiff";
    default: return NULL;
    }
}

static int supports(const AVCodec *c, enum AVPixelFormat f)
{
    for (const enum AVPixelFormat *p = c->pix_fmts; p && *p != AV_PIX_FMT_NONE; p++)
        if (*p == f)
            return 1;
    return 0;
}

/* The output pixel format: the source's luma depth wherever the codec allows. */
static enum AVPixelFormat output_format(fr_codec c, int bits, const AVCodec *enc)
{
    enum AVPixelFormat f;
    switch (c) {
    case FR_CODEC_H264: f = bits > 8 ? AV_PIX_FMT_YUV420P10 : AV_PIX_FMT_YUV420P; break;
    case FR_CODEC_FFV1:
        f = bits <= 8 ? AV_PIX_FMT_YUV444P : bits <= 10 ? AV_PIX_FMT_YUV444P10
            : bits <= 12 ? AV_PIX_FMT_YUV444P12 : AV_PIX_FMT_YUV444P16;
        break;
    case FR_CODEC_PRORES: f = AV_PIX_FMT_YUV422P10; break;
    case FR_CODEC_PNG: f = bits > 8 ? AV_PIX_FMT_RGB48BE : AV_PIX_FMT_RGB24; break;
    default: f = bits > 8 ? AV_PIX_FMT_RGB48LE : AV_PIX_FMT_RGB24; break;
    }
    if (!supports(enc, f))
        f = (c == FR_CODEC_PNG || c == FR_CODEC_TIFF) ? AV_PIX_FMT_RGB24 : AV_PIX_FMT_YUV420P;
    return f;
}

/* "dir/.stem.partial-PID.ext": beside the output, hidden, same extension. */
static void temp_name(const char *output, char *buf, size_t len)
{
    const char *slash = strrchr(output, '/');
    const char *base = slash ? slash + 1 : output;
    const char *dot = strrchr(base, '.');
    int dir_len = slash ? (int)(slash - output + 1) : 0;
    int stem_len = dot ? (int)(dot - base) : (int)strlen(base);
    int n = snprintf(buf, len, "%.*s.%.*s.partial-%d%s", dir_len, output, stem_len, base,
                     (int)getpid(), dot ? dot : "");
    if (n < 0 || (size_t)n >= len)
        buf[0] = 0;
}

/* Removes temporary outputs left by killed runs: ".stem.partial-PID.ext" beside
 * output whose process no longer exists. */
static void remove_stale_partials(const char *output)
{
    char pattern[PATH_MAX + 64];
    temp_name(output, pattern, sizeof pattern);
    char *pid_at = strstr(pattern, ".partial-");
    if (!pid_at)
        return;
    pid_at += strlen(".partial-");
    char *ext_at = pid_at + strspn(pid_at, "0123456789");
    char ext[64];
    snprintf(ext, sizeof ext, "%s", ext_at);
    snprintf(pid_at, sizeof pattern - (size_t)(pid_at - pattern), "*%s", ext);
    glob_t g;
    if (glob(pattern, 0, NULL, &g) != 0)
        return;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        const char *p = strstr(g.gl_pathv[i], ".partial-");
        long pid = p ? strtol(p + strlen(".partial-"), NULL, 10) : 0;
        if (pid > 0 && pid != (long)getpid() && kill((pid_t)pid, 0) != 0 && errno == ESRCH)
            unlink(g.gl_pathv[i]);
    }
    globfree(&g);
}

int fr_remux_has_sidecar(const char *output)
{
    const AVOutputFormat *of = av_guess_format(NULL, output, NULL);
    return of && !(of->flags & AVFMT_NOFILE);
}

fr_status fr_remux_check_output(const char *output, fr_codec codec, fr_err *err)
{
    remove_stale_partials(output);
    struct stat sb;
    if (stat(output, &sb) == 0 && S_ISDIR(sb.st_mode))
        return fr_err_set(err, FR_ERR_IO, "%s: is a directory", output);
    if (!av_guess_format(NULL, output, NULL))
        return fr_err_set(err, FR_ERR_ARG, "%s: cannot tell the container from the file name (use .mkv, .mp4 or .mov)", output);
    if (codec == FR_CODEC_AUTO)
        codec = codec_for_extension(output);
    const AVCodec *enc = avcodec_find_encoder_by_name(encoder_name(codec));
    if (!enc)
        return fr_err_set(err, FR_ERR_ARG, "%s: encoder %s is not available", output, encoder_name(codec));
    const AVOutputFormat *of = av_guess_format(NULL, output, NULL);
    if (avformat_query_codec(of, enc->id, FF_COMPLIANCE_NORMAL) == 0)
        return fr_err_set(err, FR_ERR_ARG, "%s: the %s container cannot hold %s video (use .mkv%s)", output, of->name,
                          encoder_name(codec), codec == FR_CODEC_PRORES ? " or .mov" : "");
    char tmp[PATH_MAX + 64];
    temp_name(output, tmp, sizeof tmp);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return fr_err_set(err, FR_ERR_IO, "cannot write %s: %s", output, strerror(errno));
    fclose(f);
    unlink(tmp);
    return FR_OK;
}

/* Packets of audio and subtitle streams go to the muxer untouched. */
static fr_status copy_packet_from(remux *r, const AVFormatContext *ic, AVPacket *pkt, fr_err *err)
{
    int oi = r->stream_map[pkt->stream_index];
    if (oi < 0)
        return FR_OK;
    av_packet_rescale_ts(pkt, ic->streams[pkt->stream_index]->time_base, r->oc->streams[oi]->time_base);
    pkt->stream_index = oi;
    pkt->pos = -1;
    int ret = av_interleaved_write_frame(r->oc, pkt);
    if (ret < 0)
        return fr_err_av(err, FR_ERR_CODEC, ret, "writing a copied stream");
    return FR_OK;
}

static fr_status copy_packet(void *ctx, AVPacket *pkt, fr_err *err)
{
    remux *r = ctx;
    return copy_packet_from(r, fr_video_in_format(r->in), pkt, err);
}

static fr_status add_copied_streams(remux *r, const AVFormatContext *ic, const char *output, fr_err *err)
{
    r->stream_map = malloc(sizeof(int) * ic->nb_streams);
    if (!r->stream_map)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    for (unsigned i = 0; i < ic->nb_streams; i++) {
        const AVStream *is = ic->streams[i];
        r->stream_map[i] = -1;
        if (!fr_remux_copies(is, r->info->stream_index))
            continue;
        fr_status st = fr_remux_check_copy(r->oc->oformat, is, output, err);
        if (st != FR_OK)
            return st;
        AVStream *os = avformat_new_stream(r->oc, NULL);
        if (!os || avcodec_parameters_copy(os->codecpar, is->codecpar) < 0)
            return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        os->codecpar->codec_tag = 0;
        os->time_base = is->time_base;
        os->disposition = is->disposition;
        av_dict_copy(&os->metadata, is->metadata, 0);
        r->stream_map[i] = os->index;
    }
    return FR_OK;
}

/* FFV1 level 3 cuts a frame into a grid of v x h slices (v in 2..8, h in v..2v-1) and
 * refuses a slice whose width x height x (bits + 1) x planes exceeds 8 << 24 (libavcodec's
 * ffv1enc.c). Four slices suit most films, but not a 4K 16-bit scan: take the first grid,
 * in the encoder's own order, that fits this frame. */
static int ffv1_slices(const AVCodecContext *e)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(e->pix_fmt);
    int64_t bits = d ? d->comp[0].depth : 8, planes = d ? d->nb_components : 3;
    if (planes > 3) /* ffv1 counts chroma as two planes and alpha as one more */
        planes = 4;
    for (int v = 2; v < 9; v++)
        for (int h = v; h < 2 * v; h++) {
            int64_t w = (e->width + h - 1) / h, hh = (e->height + v - 1) / v;
            if (w * hh * (bits + 1) * planes <= (8 << 24))
                return v * h;
        }
    return 0; /* none fits: let the encoder refuse, naming the size */
}

static fr_status open_encoder(remux *r, fr_codec codec, const char *output, fr_err *err)
{
    const AVCodec *c = avcodec_find_encoder_by_name(encoder_name(codec));
    if (!c)
        return fr_err_set(err, FR_ERR_CODEC, "encoder %s is not available", encoder_name(codec));
    const fr_video_info *in = r->info;
    AVCodecContext *e = r->enc = avcodec_alloc_context3(c);
    if (!e)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    e->width = in->width;
    e->height = in->height;
    e->pix_fmt = output_format(codec, in->bits, c);
    e->time_base = in->time_base;
    e->framerate = in->frame_rate;
    fr_remux_video_params vp;
    fr_remux_video_params_of(in, &vp);
    e->sample_aspect_ratio = vp.sar;
    e->color_range = vp.range;
    e->colorspace = vp.space;
    e->color_primaries = vp.primaries;
    e->color_trc = vp.trc;
    e->field_order = (enum AVFieldOrder)vp.field_order;
    if (fr_remux_interlaced(vp.field_order) && (codec == FR_CODEC_H264 || codec == FR_CODEC_PRORES))
        e->flags |= AV_CODEC_FLAG_INTERLACED_DCT | AV_CODEC_FLAG_INTERLACED_ME; /* coded as fields, as the source */
    /* x264's bytes depend on its thread count: fixed. FFV1's and ProRes' slices are coded
     * alone whatever the threads, so a node's encoder may use its own --threads. */
    e->thread_count = codec != FR_CODEC_H264 && r->opts->threads > 0 ? r->opts->threads : FR_ENCODER_THREADS;
    e->flags |= AV_CODEC_FLAG_BITEXACT;
    if (r->oc->oformat->flags & AVFMT_GLOBALHEADER)
        e->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    AVDictionary *o = NULL;
    if (codec == FR_CODEC_H264) {
        /* segments are encoded apart and joined: no B-frames, so that decode order is
         * presentation order and timestamps never step back at a join */
        e->max_b_frames = 0;
        av_dict_set(&o, "crf", "18", 0);
        av_dict_set(&o, "preset", "medium", 0);
        if (fr_remux_interlaced(e->field_order)) /* fields in the source's order, said in each picture's SEI */
            av_dict_set(&o, "x264-params",
                        e->field_order == AV_FIELD_TT || e->field_order == AV_FIELD_TB ? "tff=1:pic-struct=1"
                                                                                       : "bff=1:pic-struct=1", 0);
    } else if (codec == FR_CODEC_FFV1) {
        av_dict_set(&o, "level", "3", 0);
        av_dict_set(&o, "slicecrc", "1", 0);
        e->slices = ffv1_slices(e);
        e->gop_size = 1;
    } else if (codec == FR_CODEC_PRORES) {
        av_dict_set(&o, "profile", "hq", 0);
        av_dict_set(&o, "vendor", "apl0", 0);
    }
    int ret = avcodec_open2(e, c, &o);
    av_dict_free(&o);
    if (ret < 0) {
        fr_err_av(err, FR_ERR_CODEC, ret, encoder_name(codec));
        fr_err_wrap(err, "%s", output);
        return FR_ERR_CODEC;
    }
    AVStream *os = r->ost = avformat_new_stream(r->oc, NULL);
    if (!os || avcodec_parameters_from_context(os->codecpar, e) < 0)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    os->time_base = e->time_base;
    os->avg_frame_rate = in->frame_rate;
    os->sample_aspect_ratio = in->sar;
    if (!fr_video_in_format(r->in)) /* segment mode: no container of its own */
        return FR_OK;
    const AVStream *is = fr_video_in_format(r->in)->streams[in->stream_index];
    os->disposition = is->disposition;
    av_dict_copy(&os->metadata, is->metadata, 0);
    av_dict_set(&os->metadata, "DURATION", NULL, 0);
    av_dict_set(&os->metadata, "ENCODER", NULL, 0);
    av_dict_set(&os->metadata, "encoder", NULL, 0);
    for (int i = 0; i < is->nb_side_data; i++) { /* rotation and other display side data */
        uint8_t *sd = av_stream_new_side_data(os, is->side_data[i].type, is->side_data[i].size);
        if (!sd)
            return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        memcpy(sd, is->side_data[i].data, is->side_data[i].size);
    }
    return FR_OK;
}

/* Work buffers: the output (or 4:4:4 intermediate) frame and chroma scratch. */
static fr_status alloc_buffers(remux *r, fr_err *err)
{
    const fr_video_info *in = r->info;
    int s = r->opts->chroma_size;
    int image = r->enc->pix_fmt == AV_PIX_FMT_RGB24 || r->enc->pix_fmt == AV_PIX_FMT_RGB48BE ||
                r->enc->pix_fmt == AV_PIX_FMT_RGB48LE;
    enum AVPixelFormat wf = r->enc->pix_fmt;
    if (image)
        wf = r->enc->pix_fmt == AV_PIX_FMT_RGB24 ? AV_PIX_FMT_YUV444P : AV_PIX_FMT_YUV444P16;
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(wf);
    r->out_bits = d->comp[0].depth;
    r->cw = AV_CEIL_RSHIFT(in->width, d->log2_chroma_w);
    r->ch = AV_CEIL_RSHIFT(in->height, d->log2_chroma_h);
    r->work = av_frame_alloc();
    r->opkt = av_packet_alloc();
    r->chroma = malloc((size_t)s * s * 2);
    r->cb = malloc((size_t)s * s);
    r->cr = malloc((size_t)s * s);
    r->cb_up = malloc((size_t)r->cw * r->ch);
    r->cr_up = malloc((size_t)r->cw * r->ch);
    if (!r->work || !r->opkt || !r->chroma || !r->cb || !r->cr || !r->cb_up || !r->cr_up)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    r->work->format = wf;
    r->work->width = in->width;
    r->work->height = in->height;
    if (av_frame_get_buffer(r->work, 0) < 0)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory for a %dx%d frame", in->width, in->height);
    r->up = sws_getContext(s, s, AV_PIX_FMT_GRAY8, r->cw, r->ch, AV_PIX_FMT_GRAY8,
                           SWS_BILINEAR | SWS_ACCURATE_RND | SWS_BITEXACT, NULL, NULL, NULL);
    if (!r->up)
        return fr_err_set(err, FR_ERR_CODEC, "cannot scale chroma %d px to %dx%d", s, r->cw, r->ch);
    if (image) {
        r->rgb = av_frame_alloc();
        if (!r->rgb)
            return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        r->rgb->format = r->enc->pix_fmt;
        r->rgb->width = in->width;
        r->rgb->height = in->height;
        if (av_frame_get_buffer(r->rgb, 0) < 0)
            return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        r->to_rgb = sws_getContext(in->width, in->height, wf, in->width, in->height, r->enc->pix_fmt,
                                   SWS_POINT | SWS_ACCURATE_RND | SWS_BITEXACT, NULL, NULL, NULL);
        if (!r->to_rgb)
            return fr_err_set(err, FR_ERR_CODEC, "cannot convert to %s", av_get_pix_fmt_name(r->enc->pix_fmt));
        /* the film's own matrix and range, as its chroma was made (fr_colour_matrix.h) */
        const int *coefs = sws_getCoefficients(fr_colour_matrix_of(r->enc->colorspace)->sws);
        if (sws_setColorspaceDetails(r->to_rgb, coefs, in->full_range, coefs, 1, 0, 1 << 16, 1 << 16) < 0)
            return fr_err_set(err, FR_ERR_CODEC, "cannot convert %s to RGB", fr_colour_matrix_of(r->enc->colorspace)->name);
    }
    /* Stored chroma is full-range 8-bit (128 neutral) in the film's matrix (fr_colour_matrix.h);
     * map it to the output's range and depth. */
    int shift = r->out_bits - 8;
    for (int c = 0; c < 256; c++) {
        int v = in->full_range ? c : 128 + (int)((c - 128) * 224 + (c >= 128 ? 127 : -127)) / 255;
        r->lut[c] = (uint16_t)(shift >= 0 ? v << shift : v >> -shift);
    }
    return FR_OK;
}

/* Copies the source's luma into plane 0 at the output depth, sample for sample. */
static void copy_luma(const fr_plane *src, AVFrame *dst, int out_bits)
{
    int shift = out_bits - src->bits;
    for (int y = 0; y < src->height; y++) {
        const uint8_t *s = src->data + y * src->linesize;
        uint8_t *d = dst->data[0] + y * dst->linesize[0];
        if (shift == 0) {
            memcpy(d, s, (size_t)src->width * (src->bits > 8 ? 2 : 1));
        } else if (src->bits <= 8) {
            uint16_t *d16 = (uint16_t *)d;
            for (int x = 0; x < src->width; x++)
                d16[x] = (uint16_t)(s[x] << shift);
        } else {
            const uint16_t *s16 = (const uint16_t *)s;
            if (out_bits <= 8) {
                for (int x = 0; x < src->width; x++) {
                    int v = (s16[x] + (1 << (-shift - 1))) >> -shift;
                    d[x] = (uint8_t)(v > 255 ? 255 : v);
                }
            } else if (shift > 0) {
                uint16_t *d16 = (uint16_t *)d;
                for (int x = 0; x < src->width; x++)
                    d16[x] = (uint16_t)(s16[x] << shift);
            } else {
                uint16_t *d16 = (uint16_t *)d;
                int max = (1 << out_bits) - 1;
                for (int x = 0; x < src->width; x++) {
                    int v = (s16[x] + (1 << (-shift - 1))) >> -shift;
                    d16[x] = (uint16_t)(v > max ? max : v);
                }
            }
        }
    }
}

static void write_chroma_plane(const remux *r, const uint8_t *up, uint8_t *dst, int linesize)
{
    for (int y = 0; y < r->ch; y++) {
        const uint8_t *s = up + (size_t)y * r->cw;
        if (r->out_bits > 8) {
            uint16_t *d = (uint16_t *)(dst + (size_t)y * linesize);
            for (int x = 0; x < r->cw; x++)
                d[x] = r->lut[s[x]];
        } else {
            uint8_t *d = dst + (size_t)y * linesize;
            for (int x = 0; x < r->cw; x++)
                d[x] = (uint8_t)r->lut[s[x]];
        }
    }
}

static fr_status build_frame(remux *r, const fr_frame *f, fr_err *err)
{
    const fr_plane *l = &f->luma;
    if (l->width != r->info->width || l->height != r->info->height)
        return fr_err_set(err, FR_ERR_INPUT, "frame %lld: picture size changed to %dx%d mid-stream",
                          (long long)f->index, l->width, l->height);
    fr_plane given;
    fr_status st = r->opts->luma ? r->opts->luma(r->opts->luma_ctx, f, &given, err) : FR_OK;
    if (st != FR_OK)
        return st;
    if (r->opts->luma) {
        if (given.width != l->width || given.height != l->height || given.bits != l->bits)
            return fr_err_set(err, FR_ERR_INTERNAL, "frame %lld: the luma given differs from the source's in shape",
                              (long long)f->index);
        l = &given;
    }
    int s = r->opts->chroma_size;
    st = r->opts->chroma(r->opts->chroma_ctx, f, r->chroma, err);
    if (st != FR_OK)
        return st;
    /* 8-bit outputs: map the chroma to the output's range at render size, then
     * upsample straight into the frame. Deeper outputs map after upsampling. */
    int direct = r->out_bits == 8;
    for (int i = 0; i < s * s; i++) {
        r->cb[i] = direct ? (uint8_t)r->lut[r->chroma[2 * i]] : r->chroma[2 * i];
        r->cr[i] = direct ? (uint8_t)r->lut[r->chroma[2 * i + 1]] : r->chroma[2 * i + 1];
    }
    if (av_frame_make_writable(r->work) < 0)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    int sl[4] = {s}, dl[4] = {direct ? r->work->linesize[1] : r->cw};
    const uint8_t *src[4] = {r->cb};
    uint8_t *dst[4] = {direct ? r->work->data[1] : r->cb_up};
    int ok = sws_scale(r->up, src, sl, 0, s, dst, dl) > 0;
    src[0] = r->cr;
    dst[0] = direct ? r->work->data[2] : r->cr_up;
    dl[0] = direct ? r->work->linesize[2] : r->cw;
    ok = ok && sws_scale(r->up, src, sl, 0, s, dst, dl) > 0;
    if (!ok)
        return fr_err_set(err, FR_ERR_CODEC, "frame %lld: cannot upsample the chroma to %dx%d", (long long)f->index,
                          r->cw, r->ch);
    copy_luma(l, r->work, r->out_bits);
    if (!direct) {
        write_chroma_plane(r, r->cb_up, r->work->data[1], r->work->linesize[1]);
        write_chroma_plane(r, r->cr_up, r->work->data[2], r->work->linesize[2]);
    }
    r->work->pts = f->pts;
    r->work->sample_aspect_ratio = r->info->sar;
    r->work->color_range = r->enc->color_range;
    r->work->colorspace = r->enc->colorspace;
    r->work->color_primaries = r->enc->color_primaries;
    r->work->color_trc = r->enc->color_trc;
    r->work->interlaced_frame = fr_remux_interlaced(r->enc->field_order);
    r->work->top_field_first = r->enc->field_order == AV_FIELD_TT || r->enc->field_order == AV_FIELD_TB;
    if (r->rgb) {
        if (av_frame_make_writable(r->rgb) < 0)
            return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        if (sws_scale(r->to_rgb, (const uint8_t *const *)r->work->data, r->work->linesize, 0, r->info->height,
                      r->rgb->data, r->rgb->linesize) <= 0)
            return fr_err_set(err, FR_ERR_CODEC, "frame %lld: cannot convert to %s", (long long)f->index,
                              av_get_pix_fmt_name(r->enc->pix_fmt));
        r->rgb->pts = f->pts;
    }
    return FR_OK;
}

/* Sends one frame (NULL flushes) and muxes every packet that comes out. */
static fr_status encode(remux *r, AVFrame *frame, fr_err *err)
{
    int ret = avcodec_send_frame(r->enc, frame);
    if (ret < 0)
        return fr_err_av(err, FR_ERR_CODEC, ret, "encoding");
    for (;;) {
        ret = avcodec_receive_packet(r->enc, r->opkt);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return FR_OK;
        if (ret < 0)
            return fr_err_av(err, FR_ERR_CODEC, ret, "encoding");
        if (r->packets) { /* segment mode: in the encoder's time base, the source's */
            fr_status st = fr_pktlist_add(r->packets, r->opkt->pts, r->opkt->dts, r->opkt->duration, r->opkt->flags,
                                          r->opkt->data, r->opkt->size, err);
            av_packet_unref(r->opkt);
            if (st != FR_OK)
                return st;
            continue;
        }
        av_packet_rescale_ts(r->opkt, r->enc->time_base, r->ost->time_base);
        r->opkt->stream_index = r->ost->index;
        ret = av_interleaved_write_frame(r->oc, r->opkt);
        if (ret < 0)
            return fr_err_av(err, FR_ERR_CODEC, ret, "writing video");
    }
}

static void remux_release(remux *r)
{
    sws_freeContext(r->up);
    sws_freeContext(r->to_rgb);
    av_frame_free(&r->work);
    av_frame_free(&r->rgb);
    av_packet_free(&r->opkt);
    avcodec_free_context(&r->enc);
    if (r->oc && r->out)
        r->oc->pb = NULL; /* owned by r->out */
    fr_outfile_free(r->out);
    avformat_free_context(r->oc);
    if (!r->packets)
        fr_video_in_free(r->in); /* segment mode: the caller's */
    free(r->stream_map);
    free(r->chroma);
    free(r->cb);
    free(r->cr);
    free(r->cb_up);
    free(r->cr_up);
}

/* The output's container, with the source's metadata and our tags, the video stream from
 * a freshly opened encoder, and (ic set) the copied streams; then its header. */
static fr_status start_output(remux *r, fr_codec codec, const char *output, const char *tmp, const AVFormatContext *ic,
                              int *header, fr_err *err)
{
    int ret;
    if ((ret = avformat_alloc_output_context2(&r->oc, NULL, NULL, output)) < 0)
        return fr_err_av(err, FR_ERR_ARG, ret, output);
    r->oc->flags |= AVFMT_FLAG_BITEXACT;
    av_freep(&r->oc->url);
    r->oc->url = av_strdup(tmp);
    const AVFormatContext *src = fr_video_in_format(r->in);
    if (src)
        av_dict_copy(&r->oc->metadata, src->metadata, 0);
    av_dict_set(&r->oc->metadata, "encoder", NULL, 0);
    for (int i = 0; r->opts->tags && i < r->opts->tags->n; i++)
        av_dict_set(&r->oc->metadata, r->opts->tags->t[i].key, r->opts->tags->t[i].value, 0);
    fr_status st = open_encoder(r, codec, output, err);
    if (st != FR_OK || !ic) /* no container to write: verify, or one segment's packets */
        return st;
    if ((st = add_copied_streams(r, ic, output, err)) != FR_OK)
        return st;
    if (!(r->oc->oformat->flags & AVFMT_NOFILE)) {
        if ((st = fr_outfile_open(&r->out, tmp, output, err)) != FR_OK)
            return st;
        r->oc->pb = fr_outfile_avio(r->out);
    }
    AVDictionary *mo = NULL;
    if (codec == FR_CODEC_PNG || codec == FR_CODEC_TIFF)
        av_dict_set(&mo, "update", "1", 0);
    if (!strcmp(r->oc->oformat->name, "mov") || !strcmp(r->oc->oformat->name, "mp4"))
        av_dict_set(&mo, "movflags", "use_metadata_tags", 0); /* keep the FILMRESTORE_* tags */
    ret = avformat_write_header(r->oc, &mo);
    av_dict_free(&mo);
    if (ret < 0) {
        st = fr_err_av(err, FR_ERR_CODEC, ret, "writing the header");
        if (r->oc->nb_streams > 1) /* the muxer refused a copied stream (flac in .mov, ...) */
            fr_err_wrap(err, "%s: the %s container refuses the source's %s stream as a copy; write .mkv instead", output,
                        r->oc->oformat->name, avcodec_get_name(r->oc->streams[1]->codecpar->codec_id));
        return st;
    }
    *header = 1;
    return FR_OK;
}

/* Trailer, then the file into place. */
static fr_status end_output(remux *r, const char *output, const char *tmp, int *header, fr_err *err)
{
    *header = 0; /* a failed trailer must not be written again */
    int ret = av_write_trailer(r->oc);
    if (ret < 0)
        return fr_err_av(err, FR_ERR_CODEC, ret, "writing the trailer");
    if (r->out)
        return fr_outfile_commit(r->out, err); /* fsync, then rename into place */
    if (rename(tmp, output) != 0)
        return fr_err_set(err, FR_ERR_IO, "cannot rename %s to %s: %s", tmp, output, strerror(errno));
    return FR_OK;
}

fr_status fr_remux(const char *input, const char *output, const fr_remux_opts *opts, fr_err *err)
{
    remux r = {.opts = opts};
    fr_codec codec = opts->codec == FR_CODEC_AUTO ? codec_for_extension(output) : opts->codec;
    int verify = opts->sink != NULL; /* build the frames only: no file, no encoding */
    char tmp[PATH_MAX + 64];
    temp_name(output, tmp, sizeof tmp);
    int header = 0;
    fr_status st = verify ? FR_OK : fr_remux_check_output(output, codec, err);
    if (st != FR_OK)
        return st;
    if ((st = fr_video_in_open(&r.in, input, err)) != FR_OK)
        return st;
    r.info = fr_video_in_info(r.in);
    if ((st = start_output(&r, codec, output, tmp, verify ? NULL : fr_video_in_format(r.in), &header, err)) != FR_OK ||
        (st = alloc_buffers(&r, err)) != FR_OK)
        goto done;
    if (!verify)
        fr_video_in_copy_streams(r.in, copy_packet, &r);
    fr_frame f;
    while ((st = fr_video_in_read(r.in, &f, err)) == FR_OK) {
        AVFrame *built = NULL;
        if ((st = build_frame(&r, &f, err)) == FR_OK) {
            built = r.rgb ? r.rgb : r.work;
            st = verify ? opts->sink(opts->sink_ctx, built, r.frames, err) : encode(&r, built, err);
        }
        if (st != FR_OK)
            goto done;
        r.frames++;
        if (opts->progress)
            opts->progress(opts->progress_ctx, r.frames);
    }
    if (st != FR_EOF || verify) {
        st = st == FR_EOF ? FR_OK : st;
        goto done;
    }
    if ((st = encode(&r, NULL, err)) != FR_OK || (st = end_output(&r, output, tmp, &header, err)) != FR_OK)
        goto done;
    if (fr_remux_has_sidecar(output))
        st = fr_framemd5_sidecar(output, err); /* OUTPUT.framemd5 */
done:
    if (header)
        av_write_trailer(r.oc);
    remux_release(&r);
    if (st != FR_OK && !verify)
        unlink(tmp);
    return st;
}

fr_status fr_remux_segment(fr_video_in *in, const char *output, const fr_remux_opts *opts, fr_pktlist *packets,
                           uint8_t *digests, int64_t frames, fr_err *err)
{
    remux r = {.opts = opts, .in = in, .info = fr_video_in_info(in), .packets = packets};
    fr_codec codec = opts->codec == FR_CODEC_AUTO ? codec_for_extension(output) : opts->codec;
    int header = 0;
    fr_status st = start_output(&r, codec, output, output, NULL, &header, err);
    if (st == FR_OK)
        st = alloc_buffers(&r, err);
    /* the sidecar's md5 of each frame, as the output decodes: FFV1 is lossless, so the frame
     * as built; other codecs, by decoding the segment's packets */
    int lossless = codec == FR_CODEC_FFV1;
    fr_frame f;
    while (st == FR_OK && (st = fr_video_in_read(r.in, &f, err)) == FR_OK) {
        if ((st = build_frame(&r, &f, err)) == FR_OK && lossless && r.frames < frames)
            st = fr_framemd5_frame_digest(r.work, digests + 16 * r.frames, err);
        if (st == FR_OK)
            st = encode(&r, r.rgb ? r.rgb : r.work, err);
        r.frames++;
    }
    if (st == FR_EOF)
        st = encode(&r, NULL, err);
    if (st == FR_OK && r.frames != frames)
        st = fr_err_set(err, FR_ERR_INTERNAL, "segment: built %lld frames of %lld", (long long)r.frames, (long long)frames);
    if (st == FR_OK && !lossless) {
        AVCodecParameters *par = avcodec_parameters_alloc();
        if (!par || avcodec_parameters_from_context(par, r.enc) < 0)
            st = fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        else
            st = fr_framemd5_digests(par, packets->data, packets->len, digests, frames, err);
        avcodec_parameters_free(&par);
    }
    remux_release(&r);
    return st;
}

/* Mux mode: writes video packets up to and including source timestamp `until` (all of
 * them when flush), pulling them from the caller as needed. */
static fr_status mux_video(remux *r, fr_pkt *pending, int *have, int *ended, int64_t until, int flush,
                           const fr_mux_source *src, fr_err *err)
{
    for (;;) {
        if (!*have && !*ended) {
            fr_status st = src->next(src->ctx, pending, err);
            if (st == FR_EOF)
                *ended = 1;
            else if (st != FR_OK)
                return st;
            else
                *have = 1;
        }
        if (!*have || (!flush && pending->pts > until))
            return FR_OK;
        if (av_new_packet(r->opkt, pending->size) < 0)
            return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        memcpy(r->opkt->data, pending->data, (size_t)pending->size);
        r->opkt->pts = pending->pts;
        r->opkt->dts = pending->dts;
        r->opkt->duration = pending->duration;
        r->opkt->flags = pending->flags & AV_PKT_FLAG_KEY;
        r->opkt->stream_index = r->ost->index;
        av_packet_rescale_ts(r->opkt, r->info->time_base, r->ost->time_base);
        *have = 0;
        int ret = av_interleaved_write_frame(r->oc, r->opkt);
        if (ret < 0)
            return fr_err_av(err, FR_ERR_CODEC, ret, "writing video");
        r->frames++;
        if (r->opts->progress)
            r->opts->progress(r->opts->progress_ctx, r->frames);
    }
}

fr_status fr_remux_mux(const char *input, const char *output, const fr_remux_opts *opts, const fr_mux_source *src,
                       fr_err *err)
{
    remux r = {.opts = opts};
    fr_codec codec = opts->codec == FR_CODEC_AUTO ? codec_for_extension(output) : opts->codec;
    char tmp[PATH_MAX + 64];
    temp_name(output, tmp, sizeof tmp);
    int header = 0, ret, have = 0, ended = 0;
    fr_video_in *demux = NULL; /* a second reader of the source, for its packets */
    AVFormatContext *ic = NULL;
    fr_pkt pending;
    fr_status st = fr_remux_check_output(output, codec, err);
    if (st != FR_OK)
        return st;
    if ((st = fr_video_in_open(&r.in, input, err)) != FR_OK)
        return st;
    r.info = fr_video_in_info(r.in);
    r.opkt = av_packet_alloc();
    AVPacket *pkt = av_packet_alloc();
    if (!r.opkt || !pkt) {
        st = fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((st = fr_video_in_open_demux(&demux, input, err)) != FR_OK)
        goto done;
    ic = fr_video_in_demuxer(demux);
    if ((st = start_output(&r, codec, output, tmp, ic, &header, err)) != FR_OK)
        goto done;
    for (unsigned i = 0; i < ic->nb_streams; i++)
        if ((int)i != r.info->stream_index && r.stream_map[i] < 0)
            ic->streams[i]->discard = AVDISCARD_ALL;
    /* the source's own order: each of its video packets lets the output's video catch up
     * to that timestamp, and other streams' packets are copied as they come */
    while (st == FR_OK && (ret = av_read_frame(ic, pkt)) >= 0) {
        if (pkt->stream_index == r.info->stream_index) {
            int64_t t = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
            if (t != AV_NOPTS_VALUE)
                st = mux_video(&r, &pending, &have, &ended, t, 0, src, err);
        } else {
            st = copy_packet_from(&r, ic, pkt, err);
        }
        av_packet_unref(pkt);
    }
    if (st == FR_OK && ret != AVERROR_EOF)
        st = fr_err_av(err, FR_ERR_INPUT, ret, input);
    if (st == FR_OK)
        st = mux_video(&r, &pending, &have, &ended, 0, 1, src, err);
    if (st == FR_OK)
        st = end_output(&r, output, tmp, &header, err);
done:
    if (header)
        av_write_trailer(r.oc);
    av_packet_free(&pkt);
    fr_video_in_free(demux);
    remux_release(&r);
    if (st != FR_OK)
        unlink(tmp);
    return st;
}
