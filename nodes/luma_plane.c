/* luma_plane.c: a decoded luma plane into a window's packed 16-bit plane, and a window's
 * plane back as an fr_plane of the source's depth (restore.h). */
#include <string.h>

#include "restore.h"

void fr_luma_widen(const fr_plane *src, uint16_t *dst)
{
    for (int y = 0; y < src->height; y++, dst += src->width) {
        const uint8_t *s = src->data + y * src->linesize;
        if (src->bits > 8)
            memcpy(dst, s, (size_t)src->width * 2);
        else
            for (int x = 0; x < src->width; x++)
                dst[x] = s[x];
    }
}

void fr_luma_view(const fr_luma_window *w, int k, fr_plane *narrow, fr_plane *out)
{
    const uint16_t *src = w->frame[k];
    if (w->bits > 8) {
        *out = (fr_plane){.width = w->width, .height = w->height, .bits = w->bits,
                          .linesize = (ptrdiff_t)w->width * 2, .data = (uint8_t *)src};
        return;
    }
    for (int y = 0; y < w->height; y++) {
        uint8_t *d = narrow->data + y * narrow->linesize;
        const uint16_t *s = src + (size_t)y * w->width;
        for (int x = 0; x < w->width; x++)
            d[x] = (uint8_t)s[x];
    }
    *out = *narrow;
    out->owned = 0;
}
