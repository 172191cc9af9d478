/* local_run.c: the single-process colourising path of colorize-image (local_run.h). */
#include "local_run.h"

#include <stdio.h>
#include <stdlib.h>

#include "fr_generator.h"
#include "fr_video_in.h"
#include "progress.h"

struct fr_local {
    fr_generator *gen;
    fr_renderer *render;
    fr_progress *progress;    /* NULL: quiet */
    uint8_t *gray;
    int size, full_range;
    int64_t total, done;
};

fr_status fr_local_new(fr_local **out, const char *model, int threads, const char *backend,
                       int render_factor, int show_progress, fr_err *err)
{
    *out = NULL;
    fr_local *l = calloc(1, sizeof *l);
    if (!l)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    l->size = render_factor * 16;
    fr_generator_opts go = {.threads = threads, .backend = backend, .size = l->size, .winograd = -1};
    fr_status st = fr_generator_open(&l->gen, model, &go, err);
    if (st == FR_OK)
        st = fr_renderer_new(&l->render, l->size, err);
    if (st == FR_OK) {
        l->gray = malloc((size_t)l->size * l->size);
        l->progress = show_progress ? fr_progress_new(stderr) : NULL;
        if (!l->gray || (show_progress && !l->progress))
            st = fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    }
    if (st != FR_OK) {
        fr_local_free(l);
        return st;
    }
    *out = l;
    return FR_OK;
}

static fr_status local_chroma(void *ctx, const fr_frame *f, uint8_t *chroma, fr_err *err)
{
    fr_local *l = ctx;
    fr_status st = fr_renderer_gray(l->render, &f->luma, l->full_range, l->gray, err);
    if (st != FR_OK)
        return st;
    return fr_generator_colorize(l->gen, l->gray, 1, l->size, chroma, err);
}

static void local_progress(void *ctx, int64_t done)
{
    fr_local *l = ctx;
    l->done = done;
    fr_progress_event ev = {"colorize", done, l->total >= 0 && l->total < done ? done : l->total, 0, 0};
    fr_progress_report(l->progress, &ev);
}

fr_status fr_local_run(fr_local *l, const char *input, const char *output, fr_codec codec, const fr_tags *tags,
                       fr_err *err)
{
    fr_status st = fr_remux_check_output(output, codec, err);
    if (st != FR_OK)
        return st;
    fr_video_in *probe = NULL;
    if ((st = fr_video_in_open(&probe, input, err)) != FR_OK)
        return st;
    l->full_range = fr_video_in_info(probe)->full_range;
    const fr_video_info *vi = fr_video_in_info(probe);
    l->total = fr_progress_total_estimate(vi->nb_frames, vi->duration, vi->frame_rate.num, vi->frame_rate.den);
    l->done = 0;
    fr_video_in_free(probe);
    fr_remux_opts ro = {.codec = codec, .chroma_size = l->size, .chroma = local_chroma, .chroma_ctx = l,
                        .progress = l->progress ? local_progress : NULL, .progress_ctx = l, .tags = tags};
    st = fr_remux(input, output, &ro, err);
    if (st == FR_OK && l->progress) {
        fr_progress_event ev = {"colorize", l->done, l->done, 0, 0};
        fr_progress_done(l->progress, &ev);
    }
    return st;
}

void fr_local_free(fr_local *l)
{
    if (!l)
        return;
    fr_renderer_free(l->render);
    fr_progress_free(l->progress);
    free(l->gray);
    fr_generator_free(l->gen);
    free(l);
}
