/* fr_colour_matrix.h: the film's own RGB <-> YCbCr matrix, for every conversion that
 * crosses between RGB and the film's chroma.
 *
 * The chroma a run stores and encodes is (Cb, Cr) in the film's matrix, full range,
 * 128 neutral; the output's range is applied when it is written (fr_remux.c). RGB enters
 * in two places, each converted with this matrix: the model's RGB output
 * (nodes/generator_model.c) and reference pictures (fr_image_chroma.c); and RGB leaves in
 * one, PNG and TIFF outputs (fr_remux.c). The output is tagged with the same matrix
 * (fr_remux_video_params_of).
 *
 * An untagged film (or an RGB one) follows FFmpeg's convention, swscale's default:
 * BT.601. The run says so in one log line (coordinator/provenance.c). */
#ifndef FR_COLOUR_MATRIX_H
#define FR_COLOUR_MATRIX_H

typedef struct {
    const char *name;  /* "BT.601", "BT.709", ... */
    double kr, kb;     /* luma weights of red and blue; green's is 1 - kr - kb */
    int sws;           /* its swscale coefficient table (SWS_CS_*) */
} fr_colour_matrix;

/* The matrix a colorspace tag (enum AVColorSpace) names: BT.709; BT.2020 (constant and
 * non-constant luminance alike); SMPTE 240M; FCC; and BT.601 for bt470bg, smpte170m,
 * an untagged film, RGB, and any other tag. */
const fr_colour_matrix *fr_colour_matrix_of(int colorspace);
/* 1 when the tag names no matrix and BT.601 is assumed. */
int fr_colour_matrix_assumed(int colorspace);
/* RGB (0..255) to full-range chroma: Cb = 128 + cb[0] R + cb[1] G + cb[2] B, Cr likewise.
 * BT.601's are JPEG's own literals (0.168736, 0.331264, ...), so a BT.601 film's chroma
 * keeps the bytes it had before other matrices came in. */
void fr_colour_matrix_coefs(const fr_colour_matrix *m, float cb[3], float cr[3]);

#endif
