/* fr_video_in.h: decoding a film (any FFmpeg input, image sequences included)
 * into full-size luma planes with their timestamps.
 *
 * The reader keeps the source's own luma samples: 8-bit sources give 8-bit
 * planes, 10/12/16-bit sources give uint16 planes at their own depth. Planar YUV
 * and gray sources are read without conversion; RGB and packed sources are
 * converted to luma by swscale. The plane handed out by fr_video_in_read is
 * owned by the reader and valid until the next read or free. */
#ifndef FR_VIDEO_IN_H
#define FR_VIDEO_IN_H

#include <stdint.h>

#include <libavutil/pixfmt.h>
#include <libavutil/rational.h>

#include "fr_loss.h"
#include "fr_plane.h"
#include "fr_status.h"

typedef struct fr_video_in fr_video_in;

typedef struct {
    int width, height;    /* coded picture size */
    int bits;             /* luma bit depth, 8..16 */
    int full_range;       /* 1 when luma spans 0..max (JPEG/gray), 0 for limited (16..235) */
    AVRational time_base; /* of the timestamps below */
    AVRational frame_rate;/* average rate as a rational (0/1 if unknown) */
    int64_t nb_frames;    /* declared frame count, or -1 when the container does not say */
    double duration;      /* seconds, or -1 */
    int stream_index;     /* of the video stream in the container */
    AVRational sar;       /* sample aspect ratio (0/1 if unknown) */
    enum AVPixelFormat pix_fmt;
    enum AVColorSpace colorspace;
    enum AVColorPrimaries primaries;
    enum AVColorTransferCharacteristic trc;
    enum AVColorRange range;
    int field_order;      /* enum AVFieldOrder: interlaced (tt, bb, tb, bt), progressive or unknown */
} fr_video_info;

typedef struct {
    int64_t index;  /* 0-based decode order, which is presentation order */
    int64_t pts;    /* in info.time_base */
    fr_plane luma;  /* borrowed: valid until the next read; empty in timeline mode */
    int corrupt;    /* packet mode with keep_corrupt: the frame did not decode whole (no luma) */
} fr_frame;

/* Process-wide input policy, set once by the command line before any open.
 * max_pixels caps width x height (a header may claim any size: refused before the
 * decoder allocates). tolerate_damage: a corrupt frame, or frames a demuxer skipped
 * while resyncing past damage, is logged and dropped instead of
 * ending the read with FR_ERR_INPUT. */
typedef struct {
    int64_t max_pixels;   /* <= 0: FR_VIDEO_IN_MAX_PIXELS */
    int tolerate_damage;
} fr_video_in_policy;
/* The smallest picture side read (the shot detector's grid needs 8 samples): a smaller one
 * is refused at open with FR_ERR_ARG. */
#define FR_VIDEO_IN_MIN_SIDE 8
#define FR_VIDEO_IN_MAX_PIXELS ((int64_t)16384 * 16384)
void fr_video_in_set_policy(const fr_video_in_policy *p);
/* The picture-size cap in force (width x height), for other readers of pictures. */
int64_t fr_video_in_max_pixels(void);

fr_status fr_video_in_open(fr_video_in **out, const char *path, fr_err *err);
/* Packet mode, on a node: decodes the packets of one fr_pktlist (pkts, len; borrowed,
 * as is wanted) with the source's decoder parameters, and hands out only the frames
 * whose timestamps are wanted[0..n_wanted) (ascending), numbered from first_index.
 * Frames before them, or dropped by rank 0's judgement, are skipped. A wanted frame that
 * does not decode whole is FR_ERR_INPUT, or, with keep_corrupt, handed out with
 * f->corrupt set and no luma, for rank 0 to judge (the shot features' pass). */
struct AVCodecParameters;
fr_status fr_video_in_open_packets(fr_video_in **out, const char *name, const fr_video_info *info,
                                   const struct AVCodecParameters *par, const uint8_t *pkts, size_t len,
                                   const int64_t *wanted, int64_t n_wanted, int64_t first_index, int keep_corrupt,
                                   fr_err *err);
/* Timeline mode, on rank 0: demuxes only. Each video packet stands for a frame, in
 * presentation order (a reorder buffer sorts their timestamps), with the damage rules of
 * fr_video_in_read that the packets show: the demuxer's resyncs, corrupt packets,
 * timestamp gaps, a stream cut short. A frame that will not decode is found by the
 * nodes (keep_corrupt). Frames carry no luma. */
fr_status fr_video_in_open_timeline(fr_video_in **out, const char *path, fr_err *err);
/* For readers of packets (rank 0's packet windows and muxer): the source opened as for
 * reading (fr_av_open's rules, an image sequence's gaps), every stream kept; the caller
 * reads packets from fr_video_in_demuxer(v) itself and never calls fr_video_in_read. */
fr_status fr_video_in_open_demux(fr_video_in **out, const char *path, fr_err *err);
struct AVFormatContext *fr_video_in_demuxer(fr_video_in *v);
const fr_video_info *fr_video_in_info(const fr_video_in *v);
/* Next frame in presentation order; FR_EOF after the last one. A truncated or
 * corrupt stream gives FR_ERR_INPUT naming the frame where it broke, and so does a
 * demuxer that resynced past damaged bytes. A timestamp gap alone is not damage: a
 * variable frame rate looks the same. */
fr_status fr_video_in_read(fr_video_in *v, fr_frame *f, fr_err *err);
void fr_video_in_free(fr_video_in *v);
/* Frames found missing or corrupt so far (only non-zero under tolerate_damage). */
/* The losses so far, in order (*n of them); owned by the reader. */
const fr_loss *fr_video_in_losses(const fr_video_in *v, int64_t *n);

/* Stream copy: once set, packets of the other audio and subtitle streams are
 * no longer discarded but handed to cb (which must not keep the packet) during
 * fr_video_in_read, in file order. Used by the re-muxer. */
struct AVPacket;
struct AVFormatContext;
typedef fr_status (*fr_packet_cb)(void *ctx, struct AVPacket *pkt, fr_err *err);
void fr_video_in_copy_streams(fr_video_in *v, fr_packet_cb cb, void *ctx);
/* The demuxer, for reading stream parameters (owned by the reader). */
const struct AVFormatContext *fr_video_in_format(const fr_video_in *v);

/* Converts a luma plane to a size x size 8-bit full-range gray plane, as the
 * model sees it: expanded to full range, then resized with a PIL-like bilinear
 * (triangle) filter through swscale. dst has size*size bytes, row-major. */
typedef struct fr_renderer fr_renderer;
fr_status fr_renderer_new(fr_renderer **out, int size, fr_err *err);
fr_status fr_renderer_gray(fr_renderer *r, const fr_plane *luma, int full_range, uint8_t *dst,
                           fr_err *err);
void fr_renderer_free(fr_renderer *r);

#endif
