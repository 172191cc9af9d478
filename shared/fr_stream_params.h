/* fr_stream_params.h: what a node needs to decode a source's video packets, as bytes.
 *
 * Rank 0 demuxes; the nodes decode. So the video stream's decoder parameters (codec,
 * extradata, picture size and format, colour tags) and the reader's fr_video_info travel
 * once, at start-up, packed into a flat buffer. Unpacking checks every length and
 * range: the bytes come from another rank. */
#ifndef FR_STREAM_PARAMS_H
#define FR_STREAM_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "fr_status.h"
#include "fr_video_in.h"

struct AVCodecParameters;

/* Packs the open reader's video stream; *buf is malloc'ed. */
fr_status fr_stream_params_pack(const fr_video_in *v, uint8_t **buf, size_t *len, fr_err *err);
/* Unpacks into info and a new AVCodecParameters (*par, freed with avcodec_parameters_free). */
fr_status fr_stream_params_unpack(const uint8_t *buf, size_t len, fr_video_info *info,
                                  struct AVCodecParameters **par, fr_err *err);

#endif
