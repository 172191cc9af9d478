/* references.h: the colourist's reference frames for a run (`run --references DIR`).
 *
 * DIR holds colour pictures named by source frame number ("000123.png") or by timecode
 * ("00-00-05-04.png": hours, minutes, seconds, frames, at the film's nominal rate). Or the
 * option names a CSV index: lines "FRAME,FILE" or "HH:MM:SS:FF,FILE" (or with '-'), FILE relative
 * to the index's folder; a first line that does not start with a digit is a header. Each
 * picture is read once, at any size, into render-size chroma (fr_image_chroma.h), and kept in
 * frame order. Bad input (an unreadable picture, a name that is neither, two references for
 * one frame, a malformed CSV line, a frame outside the film) is refused with one message.
 * The whole list is checked before any picture is decoded: at most FR_REFERENCES_MAX
 * entries whose chroma takes at most FR_REFERENCES_BYTES, each a regular file (a FIFO is
 * refused), and in a service run each under the service's roots (shared/fr_confine.h), so
 * a CSV line with an absolute path or '..' cannot reach outside them. Each picture's
 * header is held to --max-pixels before it is decoded (fr_image_chroma.c). */
#ifndef FR_REFERENCES_H
#define FR_REFERENCES_H

#include <stdint.h>

#include "fr_status.h"
#include "fr_store.h"

#define FR_REFERENCES_MAX 4096
#define FR_REFERENCES_BYTES ((int64_t)1 << 30)

typedef struct {
    int64_t frame;     /* source frame number, 0-based */
    char path[1024];   /* where it came from, for messages */
    uint8_t *chroma;   /* size*size*2 bytes */
} fr_reference;

typedef struct {
    fr_reference *r;   /* sorted by frame */
    int n;
    int size;
    int colorspace;    /* the film's matrix tag: the pictures' chroma is in it */
} fr_references;

/* rate_num/rate_den: the film's frame rate, for timecodes; frames: its declared frame count,
 * or -1 when unknown (then fr_references_check_range is called once the count is known);
 * film: the source, whose colour matrix the pictures' chroma is made in. */
fr_status fr_references_load(fr_references **out, const char *where, int size, int rate_num,
                             int rate_den, int64_t frames, const char *film, fr_err *err);
void fr_references_free(fr_references *refs);

/* Refuses a reference at or beyond frame `frames`. */
fr_status fr_references_check_range(const fr_references *refs, int64_t frames, fr_err *err);
/* The references inside shot [start, end): their count, the first one's index in *first. */
int fr_references_in(const fr_references *refs, int64_t start, int64_t end, int *first);
/* The hash that identifies a shot's guidance: method settings, shot start, and each
 * reference's frame and chroma. */
void fr_references_hash(const fr_references *refs, int first, int count, const fr_shot *shot,
                        const char *method, uint8_t hash[32]);

#endif
