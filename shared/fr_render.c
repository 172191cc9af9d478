/* fr_render.c: the render-size gray plane the model sees (fr_renderer in fr_video_in.h).
 *
 * swscale does the work: luma at any depth and range in, size x size GRAY8
 * full range out, with its bilinear filter. When shrinking, swscale widens the
 * bilinear (triangle) kernel with the scale factor and samples at pixel
 * centres, which is what PIL's BILINEAR resize does; tests/e2e compare the two.
 * ACCURATE_RND and BITEXACT keep the result independent of the CPU's SIMD. */
#include <stdlib.h>

#include <libavutil/opt.h>
#include <libavutil/pixfmt.h>
#include <libswscale/swscale.h>

#include "fr_video_in.h"

struct fr_renderer {
    int size;
    struct SwsContext *sws;
    int src_w, src_h, src_bits, src_full;
};

fr_status fr_renderer_new(fr_renderer **out, int size, fr_err *err)
{
    *out = NULL;
    if (size < 16 || size > 8192)
        return fr_err_set(err, FR_ERR_ARG, "render size %d is out of range", size);
    fr_renderer *r = calloc(1, sizeof *r);
    if (!r)
        return fr_err_set(err, FR_ERR_NOMEM, "renderer: out of memory");
    r->size = size;
    *out = r;
    return FR_OK;
}

static enum AVPixelFormat gray_format(int bits)
{
    switch (bits) {
    case 8: return AV_PIX_FMT_GRAY8;
    case 9: return AV_PIX_FMT_GRAY9;
    case 10: return AV_PIX_FMT_GRAY10;
    case 12: return AV_PIX_FMT_GRAY12;
    case 14: return AV_PIX_FMT_GRAY14;
    case 16: return AV_PIX_FMT_GRAY16;
    default: return AV_PIX_FMT_NONE;
    }
}

fr_status fr_renderer_gray(fr_renderer *r, const fr_plane *luma, int full_range, uint8_t *dst,
                           fr_err *err)
{
    enum AVPixelFormat src = gray_format(luma->bits);
    if (src == AV_PIX_FMT_NONE)
        return fr_err_set(err, FR_ERR_INPUT, "%d-bit luma is not supported", luma->bits);
    if (!r->sws || r->src_w != luma->width || r->src_h != luma->height ||
        r->src_bits != luma->bits || r->src_full != full_range) {
        sws_freeContext(r->sws);
        r->sws = sws_alloc_context();
        if (!r->sws)
            return fr_err_set(err, FR_ERR_NOMEM, "renderer: out of memory");
        av_opt_set_int(r->sws, "srcw", luma->width, 0);
        av_opt_set_int(r->sws, "srch", luma->height, 0);
        av_opt_set_int(r->sws, "src_format", src, 0);
        av_opt_set_int(r->sws, "dstw", r->size, 0);
        av_opt_set_int(r->sws, "dsth", r->size, 0);
        av_opt_set_int(r->sws, "dst_format", AV_PIX_FMT_GRAY8, 0);
        av_opt_set_int(r->sws, "sws_flags", SWS_BILINEAR | SWS_ACCURATE_RND | SWS_BITEXACT, 0);
        av_opt_set_int(r->sws, "src_range", full_range ? 1 : 0, 0);
        av_opt_set_int(r->sws, "dst_range", 1, 0);
        if (sws_init_context(r->sws, NULL, NULL) < 0) {
            sws_freeContext(r->sws);
            r->sws = NULL;
            return fr_err_set(err, FR_ERR_INPUT, "cannot scale %dx%d luma to %d px", luma->width,
                              luma->height, r->size);
        }
        r->src_w = luma->width;
        r->src_h = luma->height;
        r->src_bits = luma->bits;
        r->src_full = full_range;
    }
    const uint8_t *sd[4] = {luma->data};
    int sl[4] = {(int)luma->linesize};
    uint8_t *dd[4] = {dst};
    int dl[4] = {r->size};
    if (sws_scale(r->sws, sd, sl, 0, luma->height, dd, dl) != r->size)
        return fr_err_set(err, FR_ERR_INPUT, "sws_scale: cannot scale %dx%d luma to %d px", luma->width, luma->height,
                          r->size);
    return FR_OK;
}

void fr_renderer_free(fr_renderer *r)
{
    if (!r)
        return;
    sws_freeContext(r->sws);
    free(r);
}
