/* fr_remux_streams.h: what an output keeps of its source besides the colourised video.
 *
 * One policy, read by the muxer (fr_remux.c), by the run's early check of its source
 * (coordinator/provenance.c) and by `verify --store` (fr_verify_streams.c):
 * - copied unchanged: every audio and subtitle stream, and every attachment (fonts in
 *   MKV: Matroska is the only container that holds them; another output is refused);
 * - refused, naming it: a second video stream that moves. filmrestore colourises one
 *   video stream; copying another unchanged would leave a black-and-white picture in a
 *   film said to be restored, and dropping it would lose it without a word;
 * - dropped, with one log line each: data streams (timecode tracks and the like) and
 *   attached pictures (cover art: MP4 keeps it only as iTunes metadata, which the
 *   FILMRESTORE_* tags' mode does not write, and Matroska takes it as an attachment of
 *   another kind; so none is copied, and verify expects none);
 * - the video's own parameters: the source's sample aspect ratio, colour tags and field
 *   order (fr_remux_video_params_of). */
#ifndef FR_REMUX_STREAMS_H
#define FR_REMUX_STREAMS_H

#include "fr_status.h"
#include "fr_video_in.h"

/* The video parameters fr_remux gives its output, from the source's: what the container
 * says of the picture. `verify --store` checks an output's against them. */
typedef struct {
    AVRational sar;                /* the source's; 0/1 when it gives none */
    enum AVColorRange range;       /* limited unless the source is full-range */
    enum AVColorSpace space;       /* the source's matrix; BT.601 (bt470bg) when untagged or RGB */
    enum AVColorPrimaries primaries;
    enum AVColorTransferCharacteristic trc;
    int field_order;               /* enum AVFieldOrder, the source's */
} fr_remux_video_params;
void fr_remux_video_params_of(const fr_video_info *in, fr_remux_video_params *p);
/* 1 for the interlaced field orders (tt, bb, tb, bt): such a source's output keeps its
 * field order in the container and in each frame's flags, and H.264 and ProRes code it
 * as fields. */
int fr_remux_interlaced(int field_order);

struct AVStream;
struct AVFormatContext;
struct AVOutputFormat;
/* 1 when fr_remux copies stream s of the source, unchanged, into the output (not the
 * video it colourises, video_index). */
int fr_remux_copies(const struct AVStream *s, int video_index);
/* FR_ERR_ARG when OUTPUT's container cannot hold the copied stream s. */
fr_status fr_remux_check_copy(const struct AVOutputFormat *of, const struct AVStream *s, const char *output,
                              fr_err *err);
/* Before a run: refuses a second moving video stream, or a stream to copy that OUTPUT's
 * container cannot hold, naming the stream; logs each data stream it will drop. */
fr_status fr_remux_check_source(const struct AVFormatContext *ic, int video_index, const char *output, fr_err *err);

#endif
