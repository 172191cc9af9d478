/* fr_verify_streams.c: an output's container checked against its source and store
 * (fr_verify_streams.h).
 *
 * Both files are opened again, apart from the frame-by-frame check, and read packet by
 * packet once: the copied streams are compared by an MD5 of their packets, so nothing is
 * decoded here. */
#include "fr_verify_streams.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libavcodec/avcodec.h>
#include <libavcodec/bsf.h>
#include <libavformat/avformat.h>
#include <libavutil/md5.h>
#include <libavutil/pixdesc.h>

#include "fr_provenance.h"
#include "fr_remux.h"
#include "fr_video_in.h"

#define TAG_PREFIX "FILMRESTORE_"

static const char *or_unknown(const char *s) { return s ? s : "unknown"; }

static const char *field_name(int f)
{
    static const char *names[] = {"unknown", "progressive", "tt", "bb", "tb", "bt"};
    return f >= 0 && f <= AV_FIELD_BT ? names[f] : "invalid";
}

/* A missing aspect ratio reads as square, as players show it. */
static AVRational square_if_none(AVRational q) { return q.num > 0 && q.den > 0 ? q : (AVRational){1, 1}; }

static fr_status check_video_params(const fr_video_info *in, const AVStream *os, const char *output, fr_err *err)
{
    fr_remux_video_params want;
    fr_remux_video_params_of(in, &want);
    const AVCodecParameters *p = os->codecpar;
    AVRational got_sar = square_if_none(os->sample_aspect_ratio.num ? os->sample_aspect_ratio : p->sample_aspect_ratio);
    AVRational want_sar = square_if_none(want.sar);
    if (av_cmp_q(got_sar, want_sar) != 0)
        return fr_err_set(err, FR_ERR_MISMATCH, "%s: its sample aspect ratio is %d:%d, the source's %d:%d", output,
                          got_sar.num, got_sar.den, want_sar.num, want_sar.den);
    if (p->color_range != want.range)
        return fr_err_set(err, FR_ERR_MISMATCH, "%s: its colour range is %s, the run writes %s for this source", output,
                          or_unknown(av_color_range_name(p->color_range)), or_unknown(av_color_range_name(want.range)));
    if (p->color_space != want.space)
        return fr_err_set(err, FR_ERR_MISMATCH, "%s: its colour matrix is %s, the run writes %s for this source", output,
                          or_unknown(av_color_space_name(p->color_space)), or_unknown(av_color_space_name(want.space)));
    if (p->color_primaries != want.primaries)
        return fr_err_set(err, FR_ERR_MISMATCH, "%s: its colour primaries are %s, the source's %s", output,
                          or_unknown(av_color_primaries_name(p->color_primaries)),
                          or_unknown(av_color_primaries_name(want.primaries)));
    if (p->color_trc != want.trc)
        return fr_err_set(err, FR_ERR_MISMATCH, "%s: its transfer characteristic is %s, the source's %s", output,
                          or_unknown(av_color_transfer_name(p->color_trc)), or_unknown(av_color_transfer_name(want.trc)));
    /* unknown and progressive say the same of a film that is not interlaced; an H.264
     * bitstream says only which field comes first (its pictures' SEI), so tb reads as tt
     * and bt as bb where the container does not say more (MP4) */
    int got_fo = p->field_order, want_fo = want.field_order;
    if (p->codec_id == AV_CODEC_ID_H264 && (want_fo == AV_FIELD_TB || want_fo == AV_FIELD_BT) &&
        got_fo == (want_fo == AV_FIELD_TB ? AV_FIELD_TT : AV_FIELD_BB))
        got_fo = want_fo;
    if ((fr_remux_interlaced(got_fo) || fr_remux_interlaced(want_fo)) && got_fo != want_fo)
        return fr_err_set(err, FR_ERR_MISMATCH, "%s: its field order is %s, the source's %s", output,
                          field_name(p->field_order), field_name(want.field_order));
    return FR_OK;
}

/* One MD5 a stream, over each packet's size and bytes, in file order. A source's AAC in
 * ADTS frames (MPEG-TS) goes through aac_adtstoasc first, as the muxer's own automatic
 * filter sends it into MP4 or Matroska; its new extra data is kept to compare. */
enum { HASH_NO, HASH_AS_IS, HASH_ADTS };

typedef struct {
    struct AVMD5 **md5;  /* per stream; NULL for streams not hashed */
    AVBSFContext **bsf;  /* per stream: HASH_ADTS's filter */
    AVPacket **extra;    /* per stream: the first packet's new extra data (its side data), or NULL */
    int64_t *packets;    /* per stream */
    unsigned n;
} stream_hashes;

static void hashes_free(stream_hashes *h)
{
    for (unsigned i = 0; i < h->n; i++) {
        if (h->md5)
            av_free(h->md5[i]);
        if (h->bsf)
            av_bsf_free(&h->bsf[i]);
        if (h->extra)
            av_packet_free(&h->extra[i]);
    }
    free(h->md5);
    free(h->bsf);
    free(h->extra);
    free(h->packets);
}

static fr_status hash_packet(stream_hashes *h, unsigned s, AVPacket *pkt, fr_err *err)
{
    size_t n = 0;
    const uint8_t *x = av_packet_get_side_data(pkt, AV_PKT_DATA_NEW_EXTRADATA, &n);
    if (x && !h->extra[s]) {
        if (!(h->extra[s] = av_packet_alloc()) || av_new_packet(h->extra[s], (int)n) < 0)
            return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        memcpy(h->extra[s]->data, x, n);
    }
    uint8_t size[4] = {(uint8_t)pkt->size, (uint8_t)(pkt->size >> 8), (uint8_t)(pkt->size >> 16),
                       (uint8_t)(pkt->size >> 24)};
    av_md5_update(h->md5[s], size, 4);
    if (pkt->size > 0)
        av_md5_update(h->md5[s], pkt->data, pkt->size);
    h->packets[s]++;
    return FR_OK;
}

/* pkt (NULL: the end) through stream s's filter, each packet out hashed. */
static fr_status filter_packet(stream_hashes *h, unsigned s, AVPacket *pkt, AVPacket *out, fr_err *err)
{
    int ret = av_bsf_send_packet(h->bsf[s], pkt);
    if (ret < 0)
        return fr_err_av(err, FR_ERR_INPUT, ret, "aac_adtstoasc");
    fr_status st = FR_OK;
    while (st == FR_OK && (ret = av_bsf_receive_packet(h->bsf[s], out)) == 0) {
        st = hash_packet(h, s, out, err);
        av_packet_unref(out);
    }
    if (st == FR_OK && ret != AVERROR(EAGAIN) && ret != AVERROR_EOF)
        return fr_err_av(err, FR_ERR_INPUT, ret, "aac_adtstoasc");
    return st;
}

/* Reads every packet of fmt, hashing the streams that want[] marks. */
static fr_status hash_streams(AVFormatContext *fmt, const int *want, stream_hashes *h, const char *path, fr_err *err)
{
    h->n = fmt->nb_streams;
    h->md5 = calloc(h->n, sizeof *h->md5);
    h->bsf = calloc(h->n, sizeof *h->bsf);
    h->extra = calloc(h->n, sizeof *h->extra);
    h->packets = calloc(h->n, sizeof *h->packets);
    if (!h->md5 || !h->bsf || !h->extra || !h->packets)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    for (unsigned i = 0; i < h->n; i++) {
        const AVStream *st = fmt->streams[i];
        fmt->streams[i]->discard = want[i] ? AVDISCARD_DEFAULT : AVDISCARD_ALL;
        if (!want[i])
            continue;
        if (!(h->md5[i] = av_md5_alloc()))
            return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        av_md5_init(h->md5[i]);
        if (want[i] != HASH_ADTS)
            continue;
        const AVBitStreamFilter *f = av_bsf_get_by_name("aac_adtstoasc");
        int ret = f ? av_bsf_alloc(f, &h->bsf[i]) : AVERROR_BSF_NOT_FOUND;
        if (ret >= 0)
            ret = avcodec_parameters_copy(h->bsf[i]->par_in, st->codecpar);
        if (ret >= 0) {
            h->bsf[i]->time_base_in = st->time_base;
            ret = av_bsf_init(h->bsf[i]);
        }
        if (ret < 0)
            return fr_err_av(err, FR_ERR_INTERNAL, ret, "aac_adtstoasc");
    }
    AVPacket *pkt = av_packet_alloc(), *out = av_packet_alloc();
    fr_status st = pkt && out ? FR_OK : fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    int ret = 0;
    while (st == FR_OK && (ret = av_read_frame(fmt, pkt)) >= 0) {
        unsigned s = (unsigned)pkt->stream_index;
        if (s < h->n && h->md5[s])
            st = h->bsf[s] ? filter_packet(h, s, pkt, out, err) : hash_packet(h, s, pkt, err);
        av_packet_unref(pkt);
    }
    if (st == FR_OK && ret != AVERROR_EOF)
        st = fr_err_av(err, FR_ERR_INPUT, ret, path);
    for (unsigned s = 0; st == FR_OK && s < h->n; s++)
        if (h->bsf[s])
            st = filter_packet(h, s, NULL, out, err);
    av_packet_free(&pkt);
    av_packet_free(&out);
    return st;
}

static const char *type_name(const AVStream *s) { return or_unknown(av_get_media_type_string(s->codecpar->codec_type)); }

/* The output's streams after its video against the source's copied ones, in order. */
static fr_status check_copies(AVFormatContext *ic, int video, AVFormatContext *oc, int out_video, const char *source,
                              const char *output, fr_err *err)
{
    stream_hashes hs = {0}, ho = {0};
    int *want_s = calloc(ic->nb_streams + 1, sizeof *want_s), *want_o = calloc(oc->nb_streams + 1, sizeof *want_o);
    unsigned *src_of = calloc(oc->nb_streams + 1, sizeof *src_of); /* output stream -> source stream */
    fr_status st = FR_OK;
    if (!want_s || !want_o || !src_of) {
        st = fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        goto done;
    }
    unsigned si = 0;
    for (unsigned oi = 0; oi < oc->nb_streams && st == FR_OK; oi++) {
        if ((int)oi == out_video)
            continue;
        while (si < ic->nb_streams && !fr_remux_copies(ic->streams[si], video))
            si++;
        const AVStream *os = oc->streams[oi];
        if (si == ic->nb_streams) {
            st = fr_err_set(err, FR_ERR_MISMATCH, "%s: its %s stream #%u (%s) is not one of the source's", output,
                            type_name(os), oi, avcodec_get_name(os->codecpar->codec_id));
            break;
        }
        const AVStream *is = ic->streams[si];
        if (is->codecpar->codec_type != os->codecpar->codec_type || is->codecpar->codec_id != os->codecpar->codec_id)
            st = fr_err_set(err, FR_ERR_MISMATCH, "%s: its stream #%u is %s (%s) where the source's stream #%u is %s (%s)",
                            output, oi, type_name(os), avcodec_get_name(os->codecpar->codec_id), si, type_name(is),
                            avcodec_get_name(is->codecpar->codec_id));
        /* AAC without extra data is in ADTS frames, which the muxer turns into raw ones */
        want_s[si] = is->codecpar->codec_id == AV_CODEC_ID_AAC && !is->codecpar->extradata_size ? HASH_ADTS : HASH_AS_IS;
        want_o[oi] = HASH_AS_IS;
        src_of[oi] = si++;
    }
    while (st == FR_OK && si < ic->nb_streams && !fr_remux_copies(ic->streams[si], video))
        si++;
    if (st == FR_OK && si < ic->nb_streams)
        st = fr_err_set(err, FR_ERR_MISMATCH, "%s: the source's %s stream #%u (%s) is missing from it", output,
                        type_name(ic->streams[si]), si, avcodec_get_name(ic->streams[si]->codecpar->codec_id));
    if (st == FR_OK)
        st = hash_streams(ic, want_s, &hs, source, err);
    if (st == FR_OK)
        st = hash_streams(oc, want_o, &ho, output, err);
    for (unsigned oi = 0; oi < oc->nb_streams && st == FR_OK; oi++) {
        if (!want_o[oi])
            continue;
        unsigned s = src_of[oi];
        uint8_t a[16], b[16];
        av_md5_final(hs.md5[s], a);
        av_md5_final(ho.md5[oi], b);
        const AVCodecParameters *ip = ic->streams[s]->codecpar, *op = oc->streams[oi]->codecpar;
        const uint8_t *ix = hs.extra[s] ? hs.extra[s]->data : ip->extradata;
        int in = hs.extra[s] ? hs.extra[s]->size : ip->extradata_size;
        if (in != op->extradata_size || (in > 0 && memcmp(ix, op->extradata, (size_t)in)))
            st = fr_err_set(err, FR_ERR_MISMATCH, "%s: its %s stream #%u differs from the source's stream #%u (%s)", output,
                            type_name(oc->streams[oi]), oi, s,
                            ip->codec_type == AVMEDIA_TYPE_ATTACHMENT ? "the attached file" : "its codec's extra data");
        else if (hs.packets[s] != ho.packets[oi] || memcmp(a, b, sizeof a))
            st = fr_err_set(err, FR_ERR_MISMATCH,
                            "%s: its %s stream #%u differs from the source's stream #%u (%lld packets against %lld, "
                            "or their bytes); the run copies it unchanged",
                            output, type_name(oc->streams[oi]), oi, s, (long long)ho.packets[oi], (long long)hs.packets[s]);
    }
done:
    hashes_free(&hs);
    hashes_free(&ho);
    free(want_s);
    free(want_o);
    free(src_of);
    return st;
}

/* Every FILMRESTORE_* tag of the output must be one a run writes (one of want's keys). */
static fr_status check_no_foreign_tags(const AVDictionary *meta, const fr_tags *want, const char *output, fr_err *err)
{
    const AVDictionaryEntry *e = NULL;
    while ((e = av_dict_get(meta, "", e, AV_DICT_IGNORE_SUFFIX))) {
        if (strncasecmp(e->key, TAG_PREFIX, strlen(TAG_PREFIX)))
            continue;
        int known = 0;
        for (int i = 0; i < want->n && !known; i++)
            known = !strcmp(e->key, want->t[i].key);
        if (!known)
            return fr_err_set(err, FR_ERR_MISMATCH, "%s: its tag %.64s is not one a run writes", output, e->key);
    }
    return FR_OK;
}

static fr_status check_tags(const AVDictionary *meta, const fr_store *store, const char *output, const char *store_path,
                            fr_err *err)
{
    const fr_store_identity *id = fr_store_identity_of(store);
    int64_t runs = fr_store_run_count(store);
    fr_tags want = {0};
    fr_status st = fr_provenance_tags(id, "", &want, err);
    if (st != FR_OK)
        return st;
    /* the hashes first: a mismatch there says the output is another film's or model's */
    int order[FR_REMUX_MAX_TAGS], n = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < want.n; i++)
            if ((strstr(want.t[i].key, "_HASH") || strstr(want.t[i].key, "_SHA256")) == !pass)
                order[n++] = i;
    for (int k = 0; k < n; k++) {
        int i = order[k];
        const AVDictionaryEntry *e = av_dict_get(meta, want.t[i].key, NULL, 0);
        if (!e)
            return fr_err_set(err, FR_ERR_MISMATCH, "%s: its %s tag is missing (a run writes it; stripped?)", output,
                              want.t[i].key);
        if (!strcmp(want.t[i].key, "FILMRESTORE_SETTINGS")) {
            int found = 0;
            for (int64_t r = 0; r < runs && !found; r++) {
                fr_store_run row;
                if ((st = fr_store_get_run(store, r, &row, err)) != FR_OK)
                    return st;
                found = !strcmp(row.settings, e->value);
            }
            if (!found)
                return fr_err_set(err, FR_ERR_MISMATCH, "%s: its FILMRESTORE_SETTINGS tag ('%.200s') is no run's of store %s",
                                  output, e->value, store_path);
        } else if (strcmp(e->value, want.t[i].value)) {
            const char *what = !strcmp(want.t[i].key, "FILMRESTORE_SOURCE_HASH") ? "source"
                               : !strcmp(want.t[i].key, "FILMRESTORE_MODEL_SHA256") ? "model" : NULL;
            if (what) /* the message an output of another film or model has always had */
                return fr_err_set(err, FR_ERR_MISMATCH, "%s was made from another %s than store %s (its %s tag is %.20s..., the store's %.20s...)",
                                  output, what, store_path, want.t[i].key, e->value, want.t[i].value);
            return fr_err_set(err, FR_ERR_MISMATCH, "%s: its %s tag is '%.200s', store %s says '%.200s'", output,
                              want.t[i].key, e->value, store_path, want.t[i].value);
        }
    }
    return check_no_foreign_tags(meta, &want, output, err);
}

static fr_status open_output(AVFormatContext **fmt, const char *path, fr_err *err)
{
    int ret = avformat_open_input(fmt, path, NULL, NULL);
    if (ret < 0 || (ret = avformat_find_stream_info(*fmt, NULL)) < 0)
        return fr_err_av(err, FR_ERR_INPUT, ret, path);
    return FR_OK;
}

/* The output's video stream, and whether it is pictures (PNG, TIFF: RGB, no container of
 * their own, so no video parameters or tags to check). */
static fr_status output_video(AVFormatContext *oc, const char *output, int *ov, int *pictures, fr_err *err)
{
    *ov = av_find_best_stream(oc, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (*ov < 0)
        return fr_err_set(err, FR_ERR_MISMATCH, "%s: no video stream", output);
    fr_codec codec = fr_codec_of_id(oc->streams[*ov]->codecpar->codec_id);
    *pictures = codec == FR_CODEC_PNG || codec == FR_CODEC_TIFF;
    return FR_OK;
}

fr_status fr_verify_container(const char *source, const char *output, const char *store_path, const fr_store *store,
                              AVRational *src_tb, fr_err *err)
{
    fr_video_in *src = NULL;
    AVFormatContext *oc = NULL;
    fr_status st = fr_video_in_open_demux(&src, source, err);
    if (st == FR_OK)
        st = open_output(&oc, output, err);
    if (st != FR_OK)
        goto done;
    const fr_video_info *in = fr_video_in_info(src);
    *src_tb = in->time_base;
    int ov, pictures;
    if ((st = output_video(oc, output, &ov, &pictures, err)) != FR_OK)
        goto done;
    if (!pictures && (st = check_video_params(in, oc->streams[ov], output, err)) != FR_OK)
        goto done;
    if (!pictures && (st = check_tags(oc->metadata, store, output, store_path, err)) != FR_OK)
        goto done;
    st = check_copies(fr_video_in_demuxer(src), in->stream_index, oc, ov, source, output, err);
done:
    avformat_close_input(&oc);
    fr_video_in_free(src);
    return st;
}

fr_status fr_verify_tags_present(const char *output, int *pictures, fr_err *err)
{
    AVFormatContext *oc = NULL;
    fr_status st = open_output(&oc, output, err);
    if (st != FR_OK)
        goto done;
    int ov;
    if ((st = output_video(oc, output, &ov, pictures, err)) != FR_OK || *pictures)
        goto done;
    /* the keys a run writes, from the one builder (the values need the store) */
    fr_store_identity blank;
    memset(&blank, 0, sizeof blank);
    fr_tags want = {0};
    if ((st = fr_provenance_tags(&blank, "", &want, err)) != FR_OK)
        goto done;
    for (int i = 0; i < want.n; i++) {
        const AVDictionaryEntry *e = av_dict_get(oc->metadata, want.t[i].key, NULL, 0);
        if (!e || !e->value[0]) {
            st = fr_err_set(err, FR_ERR_MISMATCH, "%s: its %s tag is %s (a run writes it; stripped?)", output,
                            want.t[i].key, e ? "empty" : "missing");
            goto done;
        }
    }
    st = check_no_foreign_tags(oc->metadata, &want, output, err);
done:
    avformat_close_input(&oc);
    return st;
}
