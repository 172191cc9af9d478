/* cmd_probe.c: `filmrestore probe INPUT`: a JSON description of a media file on stdout.
 *
 * Container: format, duration, bit rate. Each stream: index, type, codec, and for
 * video the size, pixel format, luma bit depth, frame rate and time base as
 * rationals, declared frame count (null where the container does not say),
 * sample aspect ratio, colour tags and rotation; for audio the sample rate,
 * channels and sample format. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/pixdesc.h>

#include "cli.h"
#include "fr_av_open.h"
#include "fr_opts.h"
#include "fr_status.h"

static json_t *rational(AVRational r) { return json_sprintf("%d/%d", r.num, r.den); }

static json_t *nullable_str(const char *s) { return s ? json_string(s) : json_null(); }

static json_t *video_json(const AVStream *st)
{
    const AVCodecParameters *p = st->codecpar;
    json_t *o = json_object();
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(p->format);
    json_object_set_new(o, "width", json_integer(p->width));
    json_object_set_new(o, "height", json_integer(p->height));
    json_object_set_new(o, "pix_fmt", nullable_str(d ? d->name : NULL));
    json_object_set_new(o, "bits_per_sample", d ? json_integer(d->comp[0].depth) : json_null());
    AVRational fr = st->avg_frame_rate.num ? st->avg_frame_rate : st->r_frame_rate;
    json_object_set_new(o, "frame_rate", rational(fr));
    json_object_set_new(o, "r_frame_rate", rational(st->r_frame_rate));
    json_object_set_new(o, "sample_aspect_ratio",
                        rational(st->sample_aspect_ratio.num ? st->sample_aspect_ratio
                                                             : p->sample_aspect_ratio));
    json_object_set_new(o, "color_range", nullable_str(av_color_range_name(p->color_range)));
    json_object_set_new(o, "color_space", nullable_str(av_color_space_name(p->color_space)));
    json_object_set_new(o, "color_primaries", nullable_str(av_color_primaries_name(p->color_primaries)));
    json_object_set_new(o, "color_transfer", nullable_str(av_color_transfer_name(p->color_trc)));
    const uint8_t *m = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, NULL);
    json_object_set_new(o, "rotation", m ? json_real(av_display_rotation_get((const int32_t *)m)) : json_real(0));
    return o;
}

static json_t *stream_json(const AVStream *st)
{
    const AVCodecParameters *p = st->codecpar;
    json_t *o = json_object();
    json_object_set_new(o, "index", json_integer(st->index));
    json_object_set_new(o, "type", nullable_str(av_get_media_type_string(p->codec_type)));
    json_object_set_new(o, "codec", json_string(avcodec_get_name(p->codec_id)));
    json_object_set_new(o, "time_base", rational(st->time_base));
    json_object_set_new(o, "duration", st->duration > 0 ? json_real(st->duration * av_q2d(st->time_base)) : json_null());
    json_object_set_new(o, "frame_count", st->nb_frames > 0 ? json_integer(st->nb_frames) : json_null());
    if (p->codec_type == AVMEDIA_TYPE_VIDEO) {
        json_t *v = video_json(st);
        json_object_update(o, v);
        json_decref(v);
    } else if (p->codec_type == AVMEDIA_TYPE_AUDIO) {
        json_object_set_new(o, "sample_rate", json_integer(p->sample_rate));
        json_object_set_new(o, "channels", json_integer(p->ch_layout.nb_channels));
        json_object_set_new(o, "sample_fmt", nullable_str(av_get_sample_fmt_name(p->format)));
    }
    const AVDictionaryEntry *lang = av_dict_get(st->metadata, "language", NULL, 0);
    if (lang)
        json_object_set_new(o, "language", json_string(lang->value));
    return o;
}

int fr_cmd_probe(int argc, char **argv)
{
    static const fr_opt_group none = {NULL, 0, 0, NULL};
    char *pos[1];
    int npos = 0;
    int rc = fr_opts_command(&none, 1, NULL, "usage: filmrestore probe INPUT\n\nPrints the container and its streams as JSON.\n",
                             argc, argv, pos, 1, &npos);
    if (rc >= 0)
        return rc;
    if (npos != 1) {
        fr_cli_error("probe: give exactly one INPUT");
        return 2;
    }
    const char *path = pos[0];
    av_log_set_level(AV_LOG_QUIET);
    AVFormatContext *fmt = NULL;
    fr_err e = {0};
    int ret = 0;
    if (fr_av_open(&fmt, path, NULL, NULL, path, &e) != FR_OK || (ret = avformat_find_stream_info(fmt, NULL)) < 0) {
        if (ret < 0)
            fr_err_av(&e, FR_ERR_INPUT, ret, path);
        fr_cli_error("%s", e.msg);
        avformat_close_input(&fmt);
        return 1;
    }
    json_t *root = json_object();
    json_object_set_new(root, "filename", json_string(path));
    json_object_set_new(root, "format", json_string(fmt->iformat->name));
    json_object_set_new(root, "duration", fmt->duration > 0 ? json_real(fmt->duration / (double)AV_TIME_BASE) : json_null());
    json_object_set_new(root, "bit_rate", fmt->bit_rate > 0 ? json_integer(fmt->bit_rate) : json_null());
    json_t *streams = json_array(), *audio = json_array();
    int videos = 0;
    for (unsigned i = 0; i < fmt->nb_streams; i++) {
        json_t *s = stream_json(fmt->streams[i]);
        if (fmt->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO)
            videos++;
        if (fmt->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO)
            json_array_append(audio, json_object_get(s, "index"));
        json_array_append_new(streams, s);
    }
    json_object_set_new(root, "streams", streams);
    json_object_set_new(root, "audio_streams", audio);
    int best = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    json_object_set_new(root, "video_stream", best >= 0 ? json_integer(best) : json_null());
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    rc = 0;
    if (!text || puts(text) == EOF) {
        fr_cli_error("probe: cannot write the JSON");
        rc = 1;
    }
    free(text);
    json_decref(root);
    avformat_close_input(&fmt);
    return rc;
}
