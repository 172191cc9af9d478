/* muxer.h: rank 0's mux thread.
 *
 * The muxer writes the output while the film is still being processed: it copies the
 * source's audio and subtitle packets as it demuxes them, and takes the video packets
 * from the finished segments' part files (STORE.parts/ROW.part: the frames' md5
 * digests, then their encoded packets; handed over in memory when they are at hand, read
 * back from the file after a resume), in plan order, waiting for the next segment
 * when it has not arrived. It decodes and encodes nothing. At the end it writes
 * OUTPUT.framemd5 from the digests. */
#ifndef FR_MUXER_H
#define FR_MUXER_H

#include <stdint.h>

#include "fr_remux.h"
#include "fr_status.h"

typedef struct fr_muxer fr_muxer;

/* STORE.parts/ROW.part; the folder is made by fr_muxer_parts_dir. */
void fr_muxer_part_path(const char *store, int64_t row, char *buf, size_t len);
fr_status fr_muxer_parts_dir(const char *store, fr_err *err);

/* Starts muxing input's other streams and the segments' video into output. */
fr_status fr_muxer_start(fr_muxer **out, const char *input, const char *output, fr_codec codec, const fr_tags *tags,
                         const char *store, fr_err *err);
/* Segment `row` (the next in order) has its part file, with `frames` frames; body (len
 * bytes, taken over; NULL: the muxer reads the file) is the part's body in memory. */
void fr_muxer_add(fr_muxer *m, int64_t row, int32_t frames, uint8_t *body, size_t len);
/* No segment follows the last added. */
void fr_muxer_end(fr_muxer *m);
int fr_muxer_finished(fr_muxer *m);
int64_t fr_muxer_frames_done(fr_muxer *m);
/* Joins the thread and returns its status; the output exists only on FR_OK. */
fr_status fr_muxer_finish(fr_muxer *m, fr_err *err);
/* Stops a running muxer (its temporary output is removed) and frees it. */
void fr_muxer_free(fr_muxer *m);

#endif
