/* fr_pktlist.h: compressed video packets as one flat buffer, for MPI and part files.
 *
 * A segment's source packets travel from rank 0 to a node, and its encoded packets
 * travel back, as an fr_pktlist: a byte buffer of records, each a fixed header (pts,
 * dts, duration, flags, size) followed by the packet's bytes. Appending copies; reading
 * walks the records and checks every length against the buffer, so a list received
 * from another rank or read from a part file is never trusted.
 *
 * A part file (fr_pktlist_save/_load) holds such bytes (a list, perhaps after a head of
 * the caller's) with a magic, their length and their Adler-32, written through a temporary name, fsynced and renamed: a part
 * file that loads is whole. */
#ifndef FR_PKTLIST_H
#define FR_PKTLIST_H

#include <stddef.h>
#include <stdint.h>

#include "fr_status.h"

typedef struct {
    int64_t pts, dts, duration;
    int32_t flags;   /* AV_PKT_FLAG_* */
    int32_t size;
    const uint8_t *data; /* points into the list */
} fr_pkt;

typedef struct {
    uint8_t *data;
    size_t len, cap;
    int64_t count;
} fr_pktlist;

/* Appends a copy of one packet. */
fr_status fr_pktlist_add(fr_pktlist *l, int64_t pts, int64_t dts, int64_t duration, int flags,
                         const uint8_t *data, int size, fr_err *err);
/* Appends raw bytes (a head of the caller's, before the records); not a packet. */
fr_status fr_pktlist_put_raw(fr_pktlist *l, const void *data, size_t n, fr_err *err);
/* Walks the records: *pos starts at 0; 1 with the next packet, 0 at the end, -1 when
 * the buffer is malformed. */
int fr_pktlist_next(const uint8_t *buf, size_t len, size_t *pos, fr_pkt *p);
/* Counts the records of buf, checking them all; -1 when malformed. */
int64_t fr_pktlist_check(const uint8_t *buf, size_t len);
void fr_pktlist_release(fr_pktlist *l);

/* Part files: whole or refused (FR_ERR_INPUT naming the file). The body is saved from n
 * slices, one after the other. */
typedef struct {
    const void *data;
    size_t len;
} fr_part_slice;
fr_status fr_pktlist_save(const fr_part_slice *parts, int n, const char *path, fr_err *err);
fr_status fr_pktlist_load(const char *path, uint8_t **buf, size_t *len, fr_err *err);

#endif
