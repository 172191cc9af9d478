/* fr_plane.h: a single image plane (luma, gray or one chroma channel).
 *
 * Samples are uint8_t when bits <= 8, otherwise native-endian uint16_t holding
 * `bits` significant bits (10-bit DPX, 16-bit TIFF, ...). linesize is in bytes.
 * A plane either owns its buffer (made by fr_plane_alloc, released by
 * fr_plane_release) or borrows one (e.g. an AVFrame's plane); borrowed planes
 * are never released. */
#ifndef FR_PLANE_H
#define FR_PLANE_H

#include <stddef.h>
#include <stdint.h>

#include "fr_status.h"

typedef struct {
    int width, height;
    int bits;           /* significant bits per sample: 8..16 */
    ptrdiff_t linesize; /* bytes from one row to the next */
    uint8_t *data;
    int owned;          /* 1 when data was allocated by fr_plane_alloc */
} fr_plane;

static inline int fr_plane_bytes_per_sample(const fr_plane *p) { return p->bits > 8 ? 2 : 1; }

fr_status fr_plane_alloc(fr_plane *p, int width, int height, int bits, fr_err *err);
void fr_plane_release(fr_plane *p);

#endif
