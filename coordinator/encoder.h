/* encoder.h: the coordinator's encode thread.
 *
 * The encoder re-muxes the source (fr_remux) in its own thread while the rest
 * of the film is still being colourised. The coordinator feeds it finished
 * chroma in frame order through a bounded buffer. The encoder takes frames from
 * that buffer and waits when the next one has not arrived. Encoding thus hides
 * behind the nodes' compute instead of following it. */
#ifndef FR_ENCODER_H
#define FR_ENCODER_H

#include <stdint.h>

#include "fr_remux.h"
#include "fr_status.h"

typedef struct fr_encoder fr_encoder;

/* Starts encoding input to output with chroma of size x size; buffer_frames
 * bounds the chroma held in memory. tags (copied; may be NULL) go into the container. */
fr_status fr_encoder_start(fr_encoder **out, const char *input, const char *output, fr_codec codec,
                           int size, int buffer_frames, const fr_tags *tags, fr_err *err);
/* Frames that fr_encoder_feed can take now without waiting. */
int fr_encoder_room(fr_encoder *e);
/* Appends chroma for the next n frames (n <= room); first must follow the last fed. */
fr_status fr_encoder_feed(fr_encoder *e, int64_t first, int n, const uint8_t *chroma, fr_err *err);
/* No frames follow: the film has `frames` frames. */
void fr_encoder_end(fr_encoder *e, int64_t frames);
/* 1 once the encode thread has returned (done or failed). */
int fr_encoder_finished(fr_encoder *e);
int64_t fr_encoder_frames_done(fr_encoder *e);
/* Joins the thread and returns its status; the output exists only on FR_OK. */
fr_status fr_encoder_finish(fr_encoder *e, fr_err *err);
/* Stops a running encoder (its temporary output is removed) and frees it. */
void fr_encoder_free(fr_encoder *e);

#endif
