/* shot_features.h: a node's FEATURES job: the shot detector's per-frame features of a chunk.
 *
 * Rank 0 never decodes the film. It cuts the frames it demuxed into chunks and sends each
 * to a node with its packets (from the keyframe before it, as for a segment). The node
 * decodes them and makes each frame's thumbnail (shared/fr_shots_feat.h); rank 0 feeds
 * them, in order, to the detector's decisions (coordinator/shots.c), which then give the
 * same boundaries as `filmrestore shots` on the whole film.
 *
 * WORK payload:   int64 pkt_len, int64 pts[count], packets (an fr_pktlist)
 * RESULT payload: int32 gw, gh, then per frame int32 corrupt and fr_thumb_bytes(gw, gh)
 *                 bytes (zeroes for a corrupt frame: one that did not decode whole) */
#ifndef FR_SHOT_FEATURES_H
#define FR_SHOT_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#include "fr_status.h"
#include "fr_wire.h"

typedef struct fr_features_runner fr_features_runner;

fr_status fr_features_runner_new(fr_features_runner **out, const fr_node_config *cfg, const uint8_t *params,
                                 size_t params_len, fr_err *err);
void fr_features_runner_free(fr_features_runner *r);

/* Runs one WORK{FEATURES} message; the RESULT's payload goes out by send(ctx, a, na). */
typedef fr_status (*fr_features_send)(void *ctx, const void *a, size_t na, fr_err *err);
fr_status fr_features_run(fr_features_runner *r, const fr_msg *m, fr_features_send send, void *ctx, fr_err *err);

/* Rank 0's check of a RESULT against the job it answers: the grid, and the size. */
fr_status fr_features_parse_result(const fr_msg *m, const fr_msg_header *sent, int *gw, int *gh, fr_err *err);
/* Bytes of one frame's record in a RESULT. */
size_t fr_features_record(int gw, int gh);

#endif
