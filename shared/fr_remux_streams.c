/* fr_remux_streams.c: which of the source's streams an output keeps (fr_remux_streams.h). */
#include "fr_remux_streams.h"

#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#include "fr_log.h"

int fr_remux_interlaced(int field_order) { return field_order >= AV_FIELD_TT && field_order <= AV_FIELD_BT; }

static int attached_picture(const AVStream *s)
{
    return s->codecpar->codec_type == AVMEDIA_TYPE_VIDEO && (s->disposition & AV_DISPOSITION_ATTACHED_PIC);
}

int fr_remux_copies(const AVStream *s, int video_index)
{
    enum AVMediaType t = s->codecpar->codec_type;
    return s->index != video_index && (t == AVMEDIA_TYPE_AUDIO || t == AVMEDIA_TYPE_SUBTITLE ||
                                       t == AVMEDIA_TYPE_ATTACHMENT);
}

void fr_remux_video_params_of(const fr_video_info *in, fr_remux_video_params *p)
{
    p->sar = in->sar;
    p->range = in->full_range ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
    p->space = in->colorspace != AVCOL_SPC_UNSPECIFIED && in->colorspace != AVCOL_SPC_RGB ? in->colorspace
                                                                                         : AVCOL_SPC_BT470BG;
    p->primaries = in->primaries;
    p->trc = in->trc;
    p->field_order = in->field_order;
}

static const char *type_name(const AVStream *s)
{
    const char *t = attached_picture(s) ? "attached picture" : av_get_media_type_string(s->codecpar->codec_type);
    return t ? t : "unknown";
}

fr_status fr_remux_check_copy(const AVOutputFormat *of, const AVStream *s, const char *output, fr_err *err)
{
    /* Matroska takes any attachment by its mime type; its codec list does not name them */
    int ok = s->codecpar->codec_type == AVMEDIA_TYPE_ATTACHMENT
                 ? strstr(of->name, "matroska") != NULL
                 : avformat_query_codec(of, s->codecpar->codec_id, FF_COMPLIANCE_NORMAL) == 1;
    if (!ok)
        return fr_err_set(err, FR_ERR_ARG, "%s: the %s container cannot hold the source's %s stream #%d (%s); write .mkv instead",
                          output, of->name, type_name(s), s->index, avcodec_get_name(s->codecpar->codec_id));
    return FR_OK;
}

fr_status fr_remux_check_source(const AVFormatContext *ic, int video_index, const char *output, fr_err *err)
{
    const AVOutputFormat *of = av_guess_format(NULL, output, NULL);
    for (unsigned i = 0; i < ic->nb_streams; i++) {
        const AVStream *s = ic->streams[i];
        if ((int)i == video_index)
            continue;
        if (s->codecpar->codec_type == AVMEDIA_TYPE_VIDEO && !attached_picture(s))
            return fr_err_set(err, FR_ERR_ARG,
                              "the source's stream #%u is a second video stream (%s, %dx%d): filmrestore colourises one "
                              "(#%d) and neither drops nor copies another; remove it first (ffmpeg -map 0 -map -0:%u -c copy)",
                              i, avcodec_get_name(s->codecpar->codec_id), s->codecpar->width, s->codecpar->height,
                              video_index, i);
        if (fr_remux_copies(s, video_index)) {
            fr_status st = of ? fr_remux_check_copy(of, s, output, err) : FR_OK;
            if (st != FR_OK)
                return st;
        } else {
            fr_info("coordinator", "the source's %s stream #%u (%s) is not copied into %s", type_name(s), i,
                    avcodec_get_name(s->codecpar->codec_id), output);
        }
    }
    return FR_OK;
}
