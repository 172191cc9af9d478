/* fr_plane.c: allocation of owned planes (rows aligned for SIMD). */
#include "fr_plane.h"

#include <stdlib.h>
#include <string.h>

fr_status fr_plane_alloc(fr_plane *p, int width, int height, int bits, fr_err *err)
{
    memset(p, 0, sizeof *p);
    if (width <= 0 || height <= 0 || bits < 1 || bits > 16)
        return fr_err_set(err, FR_ERR_ARG, "plane %dx%d at %d bits is not valid", width, height, bits);
    int bps = bits > 8 ? 2 : 1;
    ptrdiff_t ls = ((ptrdiff_t)width * bps + 63) & ~(ptrdiff_t)63;
    void *buf = NULL;
    if (posix_memalign(&buf, 64, (size_t)ls * (size_t)height))
        return fr_err_set(err, FR_ERR_NOMEM, "plane %dx%d: out of memory", width, height);
    memset(buf, 0, (size_t)ls * (size_t)height);
    p->width = width;
    p->height = height;
    p->bits = bits;
    p->linesize = ls;
    p->data = buf;
    p->owned = 1;
    return FR_OK;
}

void fr_plane_release(fr_plane *p)
{
    if (p && p->owned)
        free(p->data);
    if (p)
        memset(p, 0, sizeof *p);
}
