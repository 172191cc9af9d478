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

#include "fr_status.h"

/* The framemd5 text of media's video streams; *text is malloc'ed, NUL-terminated. */
fr_status fr_framemd5_text(const char *media, char **text, size_t *len, fr_err *err);
/* Writes MEDIA.framemd5 beside media (through a temporary and a rename). */
fr_status fr_framemd5_sidecar(const char *media, fr_err *err);

#endif
