/* fr_image_chroma.h: a colour still (any image FFmpeg reads: PNG, JPEG, TIFF, DPX...) as
 * render-size chroma, for reference frames (coordinator/references.c).
 *
 * The whole picture is scaled to size x size, as the model's gray is, by swscale (bilinear,
 * accurate rounding, bit-exact) into 16-bit RGB (a YCbCr picture, a JPEG, read in its own
 * matrix and range), then turned into full-range (Cb, Cr) in the film's matrix (colorspace:
 * the film's tag) by fr_colour_matrix_coefs, the model's own arithmetic, and interleaved
 * into cbcr (size*size*2 bytes, 128 neutral). */
#ifndef FR_IMAGE_CHROMA_H
#define FR_IMAGE_CHROMA_H

#include <stdint.h>

#include "fr_status.h"

fr_status fr_image_chroma(const char *path, int size, int colorspace, uint8_t *cbcr, fr_err *err);

#endif
