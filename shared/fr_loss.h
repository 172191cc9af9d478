/* fr_loss.h: one loss to damage in a source film, as --tolerate-damage let it pass.
 *
 * The reader (fr_video_in) finds them, the planner hands them on, and the store keeps
 * them in /damage (docs/store.md), so an archive can tell which frames never reached
 * the output. */
#ifndef FR_LOSS_H
#define FR_LOSS_H

#include <stdint.h>

typedef struct {
    int64_t after_frame; /* the last good frame before the loss (-1: before the first) */
    int64_t missing;     /* frames lost there */
    double at;           /* seconds into the stream, -1 if unknown */
    char reason[160];    /* the demuxer's or decoder's complaint */
} fr_loss;

#endif
