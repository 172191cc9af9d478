/* fr_remux.h: the encode side of the video path.
 *
 * fr_remux decodes the source again at full size, keeps its ORIGINAL luma
 * sample for sample, takes each frame's render-size chroma from a callback,
 * upsamples it (swscale, bilinear) to the output's chroma planes, encodes, and
 * copies every audio and subtitle stream and attachment unchanged
 * (fr_remux_streams.h). Timestamps (variable frame rate too), frame count, sample
 * aspect ratio, rotation (display matrix), colour tags and field order (an interlaced
 * source's, in the container and each frame's flags; H.264 and ProRes code fields)
 * are carried over.
 *
 * The output is written to a temporary name beside OUTPUT and renamed into
 * place only when complete, so a failed run never leaves a file that looks done. */
#ifndef FR_REMUX_H
#define FR_REMUX_H

#include <stdint.h>

#include "fr_status.h"
#include "fr_pktlist.h"
#include "fr_remux_streams.h" /* which streams and parameters an output keeps */
#include "fr_video_in.h"

typedef enum {
    FR_CODEC_AUTO = 0, /* from OUTPUT's extension: .mp4 h264, .mkv ffv1, .mov prores, images by type */
    FR_CODEC_H264,     /* H.264 (libx264) for review; 8- or 10-bit 4:2:0 */
    FR_CODEC_FFV1,     /* FFV1 4:4:4 at the source's depth, lossless luma, for archives */
    FR_CODEC_PRORES,   /* ProRes 422 HQ (prores_ks), 10-bit, for studios */
    FR_CODEC_PNG,      /* still images (colorize-image) */
    FR_CODEC_TIFF,
} fr_codec;

/* Parses "h264", "ffv1", "prores", "png", "tiff"; returns 0 when unknown. */
int fr_codec_parse(const char *name, fr_codec *out);
const char *fr_codec_name(fr_codec c);

/* Fills size*size*2 bytes of interleaved (Cb, Cr) chroma for frame f. */
typedef fr_status (*fr_chroma_cb)(void *ctx, const fr_frame *f, uint8_t *chroma, fr_err *err);

/* Container tags (FILMRESTORE_* provenance), written as global metadata: Matroska
 * tags, or MP4/MOV udta entries; ffprobe's -show_format lists them. */
#define FR_REMUX_MAX_TAGS 8
typedef struct {
    struct {
        char key[32];
        char value[1024];
    } t[FR_REMUX_MAX_TAGS];
    int n;
} fr_tags;

/* Adds (or replaces) one tag; 0 when the table is full. */
int fr_tags_set(fr_tags *tags, const char *key, const char *value);

struct AVFrame;
/* Verification: receives frame `index` exactly as it would have been encoded. */
typedef fr_status (*fr_frame_sink)(void *ctx, const struct AVFrame *frame, int64_t index, fr_err *err);

typedef struct {
    fr_codec codec;
    int chroma_size;          /* the chroma's render size (side of the square) */
    fr_chroma_cb chroma;
    void *chroma_ctx;
    /* NULL: each frame keeps the source's luma, sample for sample. Set: the luma to encode
     * instead (restored on a node), same size and depth, valid until the next call. */
    fr_status (*luma)(void *ctx, const fr_frame *f, fr_plane *out, fr_err *err);
    void *luma_ctx;
    void (*progress)(void *ctx, int64_t frames_done); /* may be NULL */
    void *progress_ctx;
    int threads;              /* encoder threads; 0 = automatic */
    const fr_tags *tags;      /* may be NULL */
    fr_frame_sink sink;       /* set: write nothing, hand each built frame to sink (verify) */
    void *sink_ctx;
} fr_remux_opts;

fr_status fr_remux(const char *input, const char *output, const fr_remux_opts *opts, fr_err *err);

/* Segment mode, on a node: builds and encodes the `frames` frames that `in` (packet mode)
 * hands out, as fr_remux would for OUTPUT (its name picks the codec and container flags),
 * appends the encoded packets, in the source's time base, to packets, and fills digests
 * (16 bytes a frame) with the md5 of each frame as the output decodes (the sidecar's). */
fr_status fr_remux_segment(fr_video_in *in, const char *output, const fr_remux_opts *opts, fr_pktlist *packets,
                           uint8_t *digests, int64_t frames, fr_err *err);

/* Mux mode, on rank 0: writes OUTPUT from the source's other streams, copied, and the
 * video packets that src->next hands out in order (encoded by the nodes; FR_EOF after the
 * last). Decodes nothing (but the first frame, for the stream's parameters) and encodes
 * nothing. The sidecar is the caller's (fr_framemd5_from_digests). */
typedef struct {
    fr_status (*next)(void *ctx, fr_pkt *p, fr_err *err); /* may wait */
    void *ctx;
} fr_mux_source;
fr_status fr_remux_mux(const char *input, const char *output, const fr_remux_opts *opts, const fr_mux_source *src,
                       fr_err *err);

/* The codec of the video in an existing file, as fr_remux would name it (FR_CODEC_AUTO
 * when it is none of ours). */
fr_codec fr_codec_of_id(int av_codec_id);

/* 1 when OUTPUT gets an OUTPUT.framemd5 sidecar: a container file, not pictures (PNG,
 * TIFF), which the image muxer writes itself. */
int fr_remux_has_sidecar(const char *output);

/* Checks early that OUTPUT's directory is writable and its extension names a
 * container we can write, so a long job never fails at its very end. */
fr_status fr_remux_check_output(const char *output, fr_codec codec, fr_err *err);

#endif
