/* segment.h: one segment of the film, end to end on a node.
 *
 * A SEGMENT job carries the source's compressed packets from the keyframe before the
 * segment (rank 0 only demuxes), the timestamps of the frames to decode (the segment
 * and its smoothing context, from its own shot only), and, for a shot with reference
 * frames, those frames' chroma. The node runs the stage table's rows on it (stage.h):
 *
 *   decode -> (restore the luma) -> render gray -> generator -> temporal smoothing
 *          -> (guide) -> (regrain) -> merge the luma with the upsampled chroma -> encode -> hash
 *
 * and answers with the segment's final render-size chroma (for the store), the md5 of
 * each output frame (for the sidecar) and the encoded packets (for rank 0's muxer).
 * A guided shot also answers with its chroma before guidance, which the store keeps:
 * when the shot's references change, a later run sends that chroma back with the job
 * (FR_SEGMENT_CHROMA_GIVEN) and the node skips the generator and the smoother.
 *
 * WORK payload:   fr_segment_head, int64 pts[count], int32 at[nref],
 *                 reference chroma nref*s*s*2, [given chroma out_count*s*s*2],
 *                 packets (an fr_pktlist, pkt_len bytes)
 * RESULT payload: chroma out_count*s*s*2, digests out_count*16,
 *                 [nref > 0: chroma before guidance out_count*s*s*2], packets (the rest) */
#ifndef FR_SEGMENT_H
#define FR_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "fr_status.h"
#include "fr_wire.h"

#define FR_SEGMENT_CHROMA_GIVEN 1 /* the segment's chroma (smoothed, unguided) comes with the job */

typedef struct {
    int32_t nref;     /* reference frames (then the job is a whole shot) */
    int32_t flags;    /* FR_SEGMENT_CHROMA_GIVEN */
    int64_t pkt_len;  /* bytes of packets at the payload's end */
} fr_segment_head;

/* A parsed WORK payload; pointers into the message. */
typedef struct fr_segment_job {
    const fr_msg_header *h;
    const int64_t *pts;      /* h->count, ascending (unaligned-safe copy) */
    const int32_t *at;       /* nref frame offsets in [0, count), ascending */
    const uint8_t *ref;      /* nref*s*s*2 */
    int nref;
    const uint8_t *given;    /* out_count*s*s*2, or NULL */
    const uint8_t *pkts;
    size_t pkt_len;
} fr_segment_job;

/* Checks a WORK SEGMENT payload against its header; the arrays are copied into *owned
 * (free it) so that they are aligned. */
fr_status fr_segment_parse(const fr_msg *m, fr_segment_job *job, void **owned, fr_err *err);

/* The RESULT's three parts, checked against the header it answers. */
typedef struct {
    const uint8_t *chroma;   /* out_count*s*s*2 */
    const uint8_t *digests;  /* out_count*16 */
    const uint8_t *unguided; /* a guided shot's chroma before guidance, or NULL */
    const uint8_t *pkts;
    size_t pkt_len;
} fr_segment_result;
fr_status fr_segment_parse_result(const fr_msg *m, const fr_msg_header *sent, int guided, fr_segment_result *r,
                                  fr_err *err);

typedef struct fr_segment_runner fr_segment_runner;
struct fr_generator;

/* Opens every enabled row of the stage table (stage.h) with cfg's stage settings. params:
 * the source's stream parameters (fr_stream_params); gen is the node's, borrowed. */
fr_status fr_segment_runner_new(fr_segment_runner **out, const fr_node_config *cfg, const uint8_t *params,
                                size_t params_len, struct fr_generator *gen, fr_err *err);
void fr_segment_runner_free(fr_segment_runner *r);
/* "colorize 1.20 s, smooth 0.31 s, ...": each open row's wall time so far. */
void fr_segment_runner_times(const fr_segment_runner *r, char *buf, size_t len);

/* Runs one job; the RESULT payload's parts are sent as they are, by send(ctx, a, na, b, nb). */
typedef fr_status (*fr_segment_send)(void *ctx, const void *a, size_t na, const void *b, size_t nb, fr_err *err);
fr_status fr_segment_run(fr_segment_runner *r, const fr_segment_job *job, fr_segment_send send, void *ctx, fr_err *err);

#endif
