/* packets.c: the window of compressed video packets (packets.h). */
#include "packets.h"

#include <stdlib.h>
#include <string.h>

#include <libavformat/avformat.h>

#include "fr_video_in.h"

struct fr_packets {
    char *input;
    fr_video_in *src;        /* opened for its demuxer only */
    AVFormatContext *fmt;
    int vi;           /* the video stream */
    AVPacket **win;   /* packets in decode order */
    int64_t n, cap;
    int eof;
};

fr_status fr_packets_open(fr_packets **out, const char *input, fr_err *err)
{
    *out = NULL;
    fr_packets *p = calloc(1, sizeof *p);
    if (!p || !(p->input = strdup(input))) {
        free(p);
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    }
    fr_status st = fr_video_in_open_demux(&p->src, input, err);
    if (st != FR_OK) {
        fr_packets_free(p);
        return st;
    }
    p->fmt = fr_video_in_demuxer(p->src);
    p->vi = fr_video_in_info(p->src)->stream_index;
    for (unsigned i = 0; i < p->fmt->nb_streams; i++)
        if ((int)i != p->vi)
            p->fmt->streams[i]->discard = AVDISCARD_ALL;
    *out = p;
    return FR_OK;
}

static int64_t stamp(const AVPacket *k) { return k->pts != AV_NOPTS_VALUE ? k->pts : k->dts; }

/* Reads one more video packet into the window; 0 at the end of the source. */
static fr_status read_one(fr_packets *p, int *got, fr_err *err)
{
    *got = 0;
    AVPacket *k = av_packet_alloc();
    if (!k)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    for (;;) {
        int ret = av_read_frame(p->fmt, k);
        if (ret == AVERROR_EOF) {
            p->eof = 1;
            av_packet_free(&k);
            return FR_OK;
        }
        if (ret < 0) {
            av_packet_free(&k);
            fr_err_av(err, FR_ERR_INPUT, ret, "read error");
            fr_err_wrap(err, "%s", p->input);
            return FR_ERR_INPUT;
        }
        if (k->stream_index == p->vi)
            break;
        av_packet_unref(k);
    }
    if (p->n == p->cap) {
        int64_t cap = p->cap ? 2 * p->cap : 256;
        AVPacket **w = realloc(p->win, sizeof *w * (size_t)cap);
        if (!w) {
            av_packet_free(&k);
            return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        }
        p->win = w;
        p->cap = cap;
    }
    p->win[p->n++] = k;
    *got = 1;
    return FR_OK;
}

/* Where in the window the packet with timestamp t is (-1: not read yet). */
static int64_t find(const fr_packets *p, int64_t t)
{
    for (int64_t i = 0; i < p->n; i++)
        if (stamp(p->win[i]) == t)
            return i;
    return -1;
}

fr_status fr_packets_take(fr_packets *p, const int64_t *pts, int n, fr_pktlist *out, fr_err *err)
{
    int64_t first = INT64_MAX, last = -1;
    for (int i = 0; i < n; i++) {
        int64_t at;
        while ((at = find(p, pts[i])) < 0) {
            int got;
            fr_status st = read_one(p, &got, err);
            if (st != FR_OK)
                return st;
            if (!got)
                return fr_err_set(err, FR_ERR_INPUT, "%s: no packet carries the frame at pts %lld", p->input,
                                  (long long)pts[i]);
        }
        first = at < first ? at : first;
        last = at > last ? at : last;
    }
    int64_t key = first;
    while (key >= 0 && !((p->win[key]->flags & AV_PKT_FLAG_KEY) && stamp(p->win[key]) <= pts[0]))
        key--;
    if (key < 0)
        return fr_err_set(err, FR_ERR_INPUT, "%s: no keyframe before the frame at pts %lld (the window starts later)",
                          p->input, (long long)pts[0]);
    for (int64_t i = key; i <= last; i++) {
        const AVPacket *k = p->win[i];
        fr_status st = fr_pktlist_add(out, k->pts, k->dts, k->duration, k->flags, k->data, k->size, err);
        if (st != FR_OK)
            return st;
    }
    for (int64_t i = 0; i < key; i++) /* later segments start at or after this keyframe */
        av_packet_free(&p->win[i]);
    memmove(p->win, p->win + key, sizeof *p->win * (size_t)(p->n - key));
    p->n -= key;
    return FR_OK;
}

void fr_packets_free(fr_packets *p)
{
    if (!p)
        return;
    for (int64_t i = 0; i < p->n; i++)
        av_packet_free(&p->win[i]);
    free(p->win);
    fr_video_in_free(p->src);
    free(p->input);
    free(p);
}
