/* stage_restore.c: the restoration rows of the stage table, one a filter of restore.h
 * (restore_deflicker.c, restore_dust.c, restore_scratches.c, restore_denoise.c,
 * restore_regrain.c). A row runs when --restore lists it with a strength above 0; it reads
 * the window's full-size luma and writes its spare planes, which then become the luma. */
#include <stdio.h>
#include <stdlib.h>

#include "stage.h"

typedef struct {
    const fr_restore_filter *filter;
    size_t strength; /* offset of its strength in fr_stage_settings */
} restore_row;

typedef struct {
    const fr_restore_filter *filter;
    void *ctx;
} restore;

static double strength_of(const fr_stage *self, const fr_stage_settings *s)
{
    const restore_row *row = self->impl;
    return *(const double *)((const char *)s + row->strength);
}

#define ROW_FUNCS(NAME)                                                                                               \
    extern const fr_stage fr_stage_##NAME;                                                                            \
    static int NAME##_enabled(const fr_stage_settings *s)                                                             \
    {                                                                                                                 \
        return fr_stage_restore_listed(s, #NAME) && strength_of(&fr_stage_##NAME, s) > 0;                             \
    }                                                                                                                 \
    static int NAME##_context(const fr_stage_settings *s)                                                             \
    {                                                                                                                 \
        return fr_restore_##NAME.radius(strength_of(&fr_stage_##NAME, s));                                           \
    }                                                                                                                 \

ROW_FUNCS(deflicker)
ROW_FUNCS(dust)
ROW_FUNCS(scratches)
ROW_FUNCS(denoise)
ROW_FUNCS(regrain)

static fr_status open_restore(void **ctx, const fr_stage *self, const fr_stage_env *env, fr_err *err)
{
    const restore_row *row = self->impl;
    restore *r = calloc(1, sizeof *r);
    if (!r)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    r->filter = row->filter;
    fr_status st = row->filter->open(&r->ctx, env->info->width, env->info->height, env->info->bits,
                                     strength_of(self, env->settings), env->cfg->threads, err);
    if (st != FR_OK) {
        free(r);
        return st;
    }
    *ctx = r;
    return FR_OK;
}

static fr_status run_restore(void *ctx, fr_stage_frames *f, fr_err *err)
{
    restore *r = ctx;
    fr_status st = r->filter->run(r->ctx, &f->luma, &f->spare, err);
    if (st != FR_OK)
        return st;
    uint16_t **t = f->luma.frame; /* the output becomes the luma */
    f->luma.frame = f->spare.frame;
    f->spare.frame = t;
    return FR_OK;
}

static void close_restore(void *ctx)
{
    restore *r = ctx;
    if (r && r->ctx)
        r->filter->close(r->ctx);
    free(r);
}

#define OFF(f) offsetof(fr_stage_settings, f)
#define ROW(NAME, VERSION, TITLE, DEF, HELP)                                                                          \
    extern const fr_stage fr_stage_##NAME;                                                                            \
    static const restore_row NAME##_row = {&fr_restore_##NAME, OFF(NAME##_strength)};                                 \
    static const fr_opt NAME##_opts[] = {                                                                             \
        {#NAME "-strength", 0, FR_OPT_DOUBLE, OFF(NAME##_strength), DEF, 0, 1, HELP}};                                \
    const fr_stage fr_stage_##NAME = {                                                                                \
        .name = #NAME, .title = TITLE, .opts = NAME##_opts, .n_opts = 1,                                              \
        .flags = FR_STAGE_NEEDS_LUMA, .datasets = "", .enabled = NAME##_enabled, .context = NAME##_context,           \
        .canonical = fr_stage_canonical_opts, .version = VERSION, .impl = &NAME##_row, .open = open_restore,          \
        .run = run_restore, .close = close_restore,                                                                   \
    };

ROW(deflicker, 3, "restoration: deflicker", "1",
    "brightness flicker removed within each shot, global and on a grid (uneven flicker); fades kept")
ROW(dust, 7, "restoration: dust and dirt", "1",
    "one-frame defects found against motion-compensated neighbours and repaired from them")
ROW(scratches, 2, "restoration: line scratches", "1", "vertical line scratches that persist over frames, repaired")
ROW(denoise, 1, "restoration: grain and noise", "0.5", "grain-aware, motion-compensated temporal denoising")
ROW(regrain, 1, "restoration: regrain", "0.5",
    "synthetic grain added back after colourising, seeded by the frame's index (deterministic)")
