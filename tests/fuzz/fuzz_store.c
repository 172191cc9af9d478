/* fuzz_store.c: fr_store_open_readonly on arbitrary bytes, then every read the
 * coordinator makes of a store it resumes: identity, batches, shots, frames. */
#include <stdint.h>
#include <stdlib.h>

#include "fr_store.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fr_store *s = NULL;
    fr_err err;
    if (fr_store_open_readonly(&s, fuzz_path(data, size, NULL), &err) != FR_OK)
        return 0;
    int px = fr_store_render_size(s);
    int64_t batches = fr_store_batch_count(s), shots = fr_store_shot_count(s);
    for (int64_t i = 0; i < batches && i < 64; i++) {
        fr_batch b;
        int done, smoothed;
        fr_store_batch(s, i, &b, &done, &smoothed, &err);
    }
    for (int64_t i = 0; i < shots && i < 64; i++) {
        fr_shot sh;
        fr_store_shot(s, i, &sh, &err);
    }
    fr_store_frame_count(s);
    size_t plane = (size_t)px * (size_t)px;
    uint8_t *gray = malloc(plane * 2), *chroma = malloc(plane * 4);
    if (gray && chroma) {
        fr_store_read_frames(s, 0, 2, gray, chroma, &err);
        fr_store_read_smoothed(s, 0, 2, chroma, &err);
    }
    free(gray);
    free(chroma);
    fr_store_free(s);
    return 0;
}
