/* fr_sequence.h: the files of an image sequence (scan_%06d.dpx), as they are on disk.
 *
 * libavformat's image2 demuxer finds a sequence's last number by probing (1, 2, 4, 8 ...
 * past the first, then a bisection), so a missing picture either ends the film silently
 * at the gap or fails later with "Input/output error". The reader lists the folder itself
 * instead: every name that is the pattern's prefix, digits (at least the pattern's width),
 * and its suffix. A gap is then named before anything is decoded, and under
 * --tolerate-damage the sequence is read through a glob of exactly those names, each gap
 * recorded as a loss. */
#ifndef FR_SEQUENCE_H
#define FR_SEQUENCE_H

#include <stddef.h>
#include <stdint.h>

#include "fr_status.h"

typedef struct fr_sequence fr_sequence;

/* Lists the folder of path (a pattern with one %d or %0Nd). */
fr_status fr_sequence_scan(fr_sequence **out, const char *path, fr_err *err);
void fr_sequence_free(fr_sequence *s);

/* Gaps between the first and the last number; for gap k (0-based): the position (0-based,
 * among the pictures found) of the picture before it, the count of numbers missing, and
 * the first missing file's name. Returns 0 past the last gap. */
int fr_sequence_gap(const fr_sequence *s, int64_t k, int64_t *after, int64_t *missing, char *name, size_t len);
/* A glob(3) pattern that matches the sequence's names (for image2's pattern_type=glob):
 * the prefix and suffix escaped, the digits as [0-9]. 0 when it does not fit. */
int fr_sequence_glob(const fr_sequence *s, char *buf, size_t len);

#endif
