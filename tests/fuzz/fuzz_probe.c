/* fuzz_probe.c: probing and decoding arbitrary bytes with fr_video_in, as `run` does:
 * open (which decodes the first frame), then read frames to the end, the luma planes
 * touched to their last byte. Pictures are capped at 1024x1024 and reads at 64 frames
 * to keep each run short. */
#include <stdint.h>

#include "fr_video_in.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if (!init) {
        fr_video_in_set_policy(&(fr_video_in_policy){1024 * 1024, 1});
        init = 1;
    }
    fr_video_in *v = NULL;
    fr_err err;
    if (fr_video_in_open(&v, fuzz_path(data, size, NULL), &err) != FR_OK)
        return 0;
    fr_frame f;
    for (int i = 0; i < 64 && fr_video_in_read(v, &f, &err) == FR_OK; i++) {
        const fr_plane *p = &f.luma;
        if (p->width > 0 && p->height > 0) {
            size_t last = (size_t)(p->height - 1) * (size_t)p->linesize +
                          (size_t)p->width * (size_t)fr_plane_bytes_per_sample(p) - 1;
            volatile uint8_t sink = p->data[last];
            (void)sink;
        }
    }
    fr_video_in_free(v);
    return 0;
}
