/* fr_generator.h: the colouriser as the pipeline sees it.
 *
 * A generator turns a batch of render-size gray frames into render-size chroma.
 * The pipeline, `colorize-image` and the benches hold only this opaque handle,
 * so the generator behind it (a built-in test generator, the C engine on the
 * CPU, or cuDNN on a GPU) changes no caller.
 *
 * Data layout (the wire and store format, see docs/store.md):
 *   gray:   n frames of size*size uint8, full range (0 = black, 255 = white),
 *           row-major, frame after frame.
 *   chroma: n frames of size*size*2 uint8, interleaved (Cb, Cr) per pixel,
 *           full-range BT.601 chroma: 128 is neutral.
 * Output must depend only on the frame itself (never on n, threads or timing),
 * so results are byte-identical whatever the batch scheduling. */
#ifndef FR_GENERATOR_H
#define FR_GENERATOR_H

#include <stdint.h>

#include "fr_status.h"

typedef struct fr_generator fr_generator;

typedef struct {
    int threads;           /* compute threads; 0 = OMP_NUM_THREADS, else 1 */
    const char *backend;   /* "cpu", "cuda" or NULL for automatic */
    int batch;             /* frames a colorize call usually brings (the run's --batch); 0 = 1 */
    int size;              /* the render size it will see; 0 = the model's own render factor */
    int device;            /* device index: the node's local rank */
    const char *precision; /* NULL = the backend's default */
    int winograd;          /* 1 on, 0 off, -1 FR_ENGINE_WINOGRAD */
    int colorspace;        /* the film's matrix tag (enum AVColorSpace): a model's RGB becomes chroma
                              in it (fr_colour_matrix.h); 0 (RGB) or unspecified: BT.601 */
} fr_generator_opts;

/* spec is one of:
 *   "gray"    zero chroma (the source's luma alone),
 *   "tint"    a deterministic test generator: chroma is a fixed function of the gray value,
 *   "default" the embedded default model (models/default.h5),
 *   a path to a model file in the HDF5 model format (docs/models.md). */
fr_status fr_generator_open(fr_generator **out, const char *spec, const fr_generator_opts *opts,
                            fr_err *err);

/* Model name and a hex sha256 of its weights, recorded in the store. */
const char *fr_generator_name(const fr_generator *g);
const char *fr_generator_hash(const fr_generator *g);
/* The numerics behind its output's bits ("cpu fp32 direct"; "exact" for the built-ins),
 * also recorded in the store: a store is never resumed on other numerics. */
const char *fr_generator_numerics(const fr_generator *g);

fr_status fr_generator_colorize(fr_generator *g, const uint8_t *gray, int n, int size,
                                uint8_t *chroma, fr_err *err);

void fr_generator_free(fr_generator *g);

#endif
