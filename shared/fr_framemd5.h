/* fr_framemd5.h: per-frame checksums of a video file, in ffmpeg's framemd5 format.
 *
 * The text is what `ffmpeg -i MEDIA -map 0:v -f framemd5 -` prints for a file with one
 * constant-rate video stream: the same muxer (libavformat's framemd5) writes it, fed
 * with each decoded frame as rawvideo in the decoder's pixel format, time-stamped in
 * 1/frame-rate as the ffmpeg tool does. It is the output's sidecar, OUTPUT.framemd5,
 * and `filmrestore verify` recomputes it. */
#ifndef FR_FRAMEMD5_H
#define FR_FRAMEMD5_H

#include <stddef.h>
#include <stdint.h>

#include "fr_status.h"

/* The framemd5 text of media's video streams; *text is malloc'ed, NUL-terminated. */
fr_status fr_framemd5_text(const char *media, char **text, size_t *len, fr_err *err);
/* Writes MEDIA.framemd5 beside media (through a temporary and a rename). */
fr_status fr_framemd5_sidecar(const char *media, fr_err *err);

/* On a node: the md5 of each frame that a segment's encoded packets (an fr_pktlist, in
 * codec par) decode to, as the framemd5 text hashes it; n frames, 16 bytes each. */
struct AVCodecParameters;
fr_status fr_framemd5_digests(const struct AVCodecParameters *par, const uint8_t *pkts, size_t len, uint8_t *digests,
                              int64_t n, fr_err *err);
/* The md5 framemd5 gives a decoded frame: its image packed with alignment 1 (a lossless
 * output's frame as built is the frame as decoded). */
struct AVFrame;
fr_status fr_framemd5_frame_digest(const struct AVFrame *frame, uint8_t digest[16], fr_err *err);
/* On rank 0: MEDIA.framemd5 from the nodes' digests, in frame order, with the timestamps
 * of a demux of media: the same text as fr_framemd5_sidecar, without decoding. */
fr_status fr_framemd5_sidecar_digests(const char *media, const uint8_t *digests, int64_t n, fr_err *err);

#endif
