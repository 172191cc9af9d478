/* packets.h: rank 0's window on the source's compressed video packets.
 *
 * Rank 0 sends each node the packets it needs to decode a segment: from the keyframe
 * before the segment's first frame to the last packet that carries one of its frames
 * (in decode order, so B-frames and open GOPs decode as they would from the start).
 * It never decodes. The window reads the source once, in order, and keeps only the
 * packets from the keyframe of the segment last taken on: segments are taken in plan
 * order, so memory stays bounded by a segment and a GOP. Frames are matched to packets
 * by timestamp (pts, or dts where a packet has none), as the planner's decoder saw them. */
#ifndef FR_PACKETS_H
#define FR_PACKETS_H

#include <stdint.h>

#include "fr_pktlist.h"
#include "fr_status.h"

typedef struct fr_packets fr_packets;

fr_status fr_packets_open(fr_packets **out, const char *input, fr_err *err);
/* Appends to out the packets that decode the frames with timestamps pts[0..n) (ascending). */
fr_status fr_packets_take(fr_packets *p, const int64_t *pts, int n, fr_pktlist *out, fr_err *err);
void fr_packets_free(fr_packets *p);

#endif
