/* stage_smooth.c: the smooth row of the stage table: temporal chroma smoothing along motion,
 * inside one shot (smooth.h). With --smoothing off it passes the generator's chroma on. */
#include <stdio.h>
#include <string.h>

#include "smooth.h"
#include "stage.h"

#define OFF(f) offsetof(fr_stage_settings, f)
static const fr_opt smooth_opts[] = {
    {"smoothing", 0, FR_OPT_STRING, OFF(smoothing), "on", 0, 0, "temporal chroma smoothing: on or off"},
    {"smooth-radius", 0, FR_OPT_LONG, OFF(smooth_radius), "3", 1, FR_SMOOTH_MAX_RADIUS,
     "temporal smoothing window radius, in frames"},
    {"smooth-strength", 0, FR_OPT_DOUBLE, OFF(smooth_strength), "1", 0, 1,
     "temporal smoothing strength, 0 (none) to 1"},
};

static int is_on(const fr_stage_settings *s) { return s->smoothing && strcmp(s->smoothing, "off") != 0; }

/* The settings as fr_smooth_opts_parse reads them. */
static fr_status parse(const fr_stage_settings *s, fr_smooth_opts *o, fr_err *err)
{
    char text[128];
    if (is_on(s))
        snprintf(text, sizeof text, "radius=%ld,strength=%g", s->smooth_radius, s->smooth_strength);
    else
        snprintf(text, sizeof text, "off");
    fr_smooth_opts_default(o);
    return fr_smooth_opts_parse(o, text, err);
}

static int enabled(const fr_stage_settings *s)
{
    (void)s;
    return 1; /* off, it copies: the chroma passes through this row either way */
}

static int context(const fr_stage_settings *s) { return is_on(s) ? (int)s->smooth_radius : 0; }

static fr_status check(const fr_stage_settings *s, fr_err *err)
{
    if (!s->smoothing || (strcmp(s->smoothing, "on") && strcmp(s->smoothing, "off")))
        return fr_err_set(err, FR_ERR_ARG, "--smoothing: '%s' is not on or off", s->smoothing ? s->smoothing : "");
    return FR_OK;
}

static void canonical(const fr_stage *self, const fr_stage_settings *s, char *buf, size_t len)
{
    (void)self;
    fr_smooth_opts o;
    fr_err ignored;
    if (parse(s, &o, &ignored) == FR_OK)
        fr_smooth_opts_format(&o, buf, len);
    else
        snprintf(buf, len, "invalid");
}

static fr_status open_smooth(void **ctx, const fr_stage *self, const fr_stage_env *env, fr_err *err)
{
    (void)self;
    fr_smooth_opts o;
    fr_status st = parse(env->settings, &o, err);
    o.threads = env->cfg->threads;
    return st != FR_OK ? st : fr_smooth_new((fr_smooth **)ctx, env->cfg->size, &o, err);
}

static fr_status run(void *ctx, fr_stage_frames *f, fr_err *err)
{
    return fr_smooth_run(ctx, f->gray, f->raw, f->n, f->out_first, f->out_count, f->chroma, err);
}

static void close_smooth(void *ctx) { fr_smooth_free(ctx); }

const fr_stage fr_stage_smooth = {
    .name = "smooth",
    .title = "temporal chroma smoothing",
    .opts = smooth_opts,
    .n_opts = sizeof smooth_opts / sizeof smooth_opts[0],
    .flags = FR_STAGE_NEEDS_GRAY | FR_STAGE_MAKES_CHROMA,
    .datasets = "/chroma_smoothed (/chroma_raw when off), /batch_smoothed",
    .enabled = enabled,
    .context = context,
    .check = check,
    .canonical = canonical,
    .open = open_smooth,
    .run = run,
    .close = close_smooth,
};
