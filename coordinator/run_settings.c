/* run_settings.c: the run options table and its parser (see run_settings.h). */
#include "run_settings.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fr_path.h"
#include "fr_wire.h"

#define OFF(f) offsetof(fr_run_settings, f)

const fr_opt fr_run_opts[] = {
    {"output", 'o', FR_OPT_STRING, OFF(output), NULL, 0, 0,
     "output file; its extension picks the container (.mkv, .mp4, .mov)"},
    {"model", 'm', FR_OPT_STRING, OFF(model), "default", 0, 0,
     "default (embedded), gray, tint, or a model file (.h5)"},
    {"render-factor", 'r', FR_OPT_LONG, OFF(render_factor), "21", 4, 128,
     "the model sees render-factor x 16 pixels on a side"},
    {"batch", 'b', FR_OPT_LONG, OFF(batch), "16", 1, 4096, "frames per batch (never spans a cut)"},
    {"ranks", 'n', FR_OPT_LONG, OFF(ranks), "2", 0, 4096,
     "node ranks to start on this machine (0: one process, no MPI)"},
    {"store", 's', FR_OPT_STRING, OFF(store), NULL, 0, 0,
     "HDF5 store and checkpoint (default: OUTPUT.h5); rerun to resume"},
    {"codec", 'c', FR_OPT_STRING, OFF(codec), NULL, 0, 0,
     "h264 (review), ffv1 (archive) or prores (studio); default from the extension"},
    {"threads", 't', FR_OPT_LONG, OFF(threads), "1", 0, 256,
     "compute threads per node rank (0: OMP_NUM_THREADS)"},
    {"backend", 0, FR_OPT_STRING, OFF(backend), NULL, 0, 0, "cpu or cuda (default: automatic)"},
    {"smoothing", 0, FR_OPT_STRING, OFF(smoothing), "on", 0, 0, "temporal chroma smoothing: on or off"},
    {"smooth-radius", 0, FR_OPT_LONG, OFF(smooth_radius), "3", 1, 16,
     "temporal smoothing window radius, in frames"},
    {"smooth-strength", 0, FR_OPT_DOUBLE, OFF(smooth_strength), "1", 0, 1,
     "temporal smoothing strength, 0 (none) to 1"},
    {"overwrite", 'y', FR_OPT_FLAG, OFF(overwrite), NULL, 0, 1,
     "replace a store left by another run (other input, model or settings) instead of refusing"},
    {"tolerate-damage", 0, FR_OPT_FLAG, OFF(tolerate_damage), NULL, 0, 1,
     "drop and log frames lost to damage in the source instead of refusing it"},
    {"max-pixels", 0, FR_OPT_STRING, OFF(max_pixels), "16384x16384", 0, 0,
     "largest picture accepted, as WxH or a pixel count"},
};
const size_t fr_run_opts_count = sizeof fr_run_opts / sizeof fr_run_opts[0];

static const fr_opt *find(const char *name)
{
    for (size_t i = 0; i < fr_run_opts_count; i++)
        if (!strcmp(fr_run_opts[i].name, name))
            return &fr_run_opts[i];
    return NULL;
}

fr_status fr_run_settings_set(fr_run_settings *s, const char *name, const char *value, fr_err *err)
{
    const fr_opt *o = find(name);
    if (!o)
        return fr_err_set(err, FR_ERR_ARG, "unknown setting '%s'", name);
    char *base = (char *)s + o->offset;
    char *end = NULL;
    errno = 0;
    if (o->type == FR_OPT_STRING) {
        if (!value || !*value)
            return fr_err_set(err, FR_ERR_ARG, "--%s: empty value", name);
        *(const char **)base = value;
    } else if (o->type == FR_OPT_LONG || o->type == FR_OPT_FLAG) {
        long v = strtol(value, &end, 10);
        if (errno || end == value || *end || v < o->min || v > o->max)
            return fr_err_set(err, FR_ERR_ARG, "--%s: '%s' is not an integer in [%g, %g]", name,
                              value, o->min, o->max);
        *(long *)base = v;
    } else {
        double v = strtod(value, &end);
        if (errno || end == value || *end || !isfinite(v) || v < o->min || v > o->max)
            return fr_err_set(err, FR_ERR_ARG, "--%s: '%s' is not a number in [%g, %g]", name,
                              value, o->min, o->max);
        *(double *)base = v;
    }
    return FR_OK;
}

void fr_run_settings_defaults(fr_run_settings *s)
{
    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < fr_run_opts_count; i++)
        if (fr_run_opts[i].def)
            fr_run_settings_set(s, fr_run_opts[i].name, fr_run_opts[i].def, NULL);
}

void fr_run_settings_help(FILE *f)
{
    for (size_t i = 0; i < fr_run_opts_count; i++) {
        const fr_opt *o = &fr_run_opts[i];
        char flag[64];
        if (o->short_name)
            snprintf(flag, sizeof flag, "-%c, --%s", o->short_name, o->name);
        else
            snprintf(flag, sizeof flag, "    --%s", o->name);
        fprintf(f, "  %-24s %s", flag, o->help);
        if (o->def)
            fprintf(f, " [%s]", o->def);
        fputc('\n', f);
    }
}

static fr_status check_consistent(const fr_run_settings *s, fr_err *err);

/* "WxH" or a plain count of pixels, at least 1 and at most 2^40. */
static fr_status parse_pixels(const char *text, int64_t *out, fr_err *err)
{
    char *end;
    errno = 0;
    long long a = strtoll(text, &end, 10), b = 1;
    if (!errno && end != text && (*end == 'x' || *end == 'X')) {
        const char *h = end + 1;
        b = strtoll(h, &end, 10);
        if (end == h)
            b = -1;
    }
    if (errno || end == text || *end || a < 1 || b < 1 || a > (1ll << 20) || b > (1ll << 20) || a * b > (1ll << 40))
        return fr_err_set(err, FR_ERR_ARG, "--max-pixels: '%s' is not WxH or a pixel count", text);
    *out = a * b;
    return FR_OK;
}

fr_status fr_run_settings_parse(fr_run_settings *s, int argc, char **argv, fr_err *err)
{
    struct option lopts[sizeof fr_run_opts / sizeof fr_run_opts[0] + 2];
    char shorts[64] = "h";
    size_t k = 0;
    for (size_t i = 0; i < fr_run_opts_count; i++) {
        int flag = fr_run_opts[i].type == FR_OPT_FLAG;
        lopts[k++] = (struct option){fr_run_opts[i].name, flag ? no_argument : required_argument,
                                     NULL, 256 + (int)i};
        if (fr_run_opts[i].short_name) {
            size_t l = strlen(shorts);
            shorts[l] = (char)fr_run_opts[i].short_name;
            shorts[l + 1] = flag ? 0 : ':';
            shorts[l + 2] = 0;
        }
    }
    lopts[k++] = (struct option){"help", no_argument, NULL, 'h'};
    s->given = 0;
    lopts[k] = (struct option){0};
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, shorts, lopts, NULL)) != -1) {
        if (c == 'h')
            return FR_EOF;
        if (c == '?')
            return fr_err_set(err, FR_ERR_ARG, "unknown or incomplete option '%s'", argv[optind - 1]);
        const fr_opt *o = NULL;
        if (c >= 256)
            o = &fr_run_opts[c - 256];
        else
            for (size_t i = 0; i < fr_run_opts_count; i++)
                if (fr_run_opts[i].short_name == c)
                    o = &fr_run_opts[i];
        if (!o)
            return fr_err_set(err, FR_ERR_ARG, "unknown option");
        fr_status st = fr_run_settings_set(s, o->name, o->type == FR_OPT_FLAG ? "1" : optarg, err);
        if (st != FR_OK)
            return st;
        s->given |= 1ul << (o - fr_run_opts);
    }
    if (optind != argc - 1)
        return fr_err_set(err, FR_ERR_ARG, optind >= argc ? "missing INPUT" : "more than one INPUT given");
    s->input = argv[optind];
    if (!s->output)
        return fr_err_set(err, FR_ERR_ARG, "missing -o OUTPUT");
    if (strcmp(s->smoothing, "on") && strcmp(s->smoothing, "off"))
        return fr_err_set(err, FR_ERR_ARG, "--smoothing: '%s' is not on or off", s->smoothing);
    fr_codec codec;
    if (s->codec && !fr_codec_parse(s->codec, &codec))
        return fr_err_set(err, FR_ERR_ARG, "--codec: '%s' is not h264, ffv1 or prores", s->codec);
    fr_status st;
    if ((st = parse_pixels(s->max_pixels, &s->max_pixel_count, err)) != FR_OK)
        return st;
    if (s->backend && strcmp(s->backend, "cpu") && strcmp(s->backend, "cuda"))
        return fr_err_set(err, FR_ERR_ARG, "--backend: '%s' is not cpu or cuda", s->backend);
    return check_consistent(s, err);
}

int fr_run_settings_given(const fr_run_settings *s, const char *name)
{
    const fr_opt *o = find(name);
    return o && (s->given >> (o - fr_run_opts) & 1);
}

/* Settings that parse alone but not together: lengths the wire and the store can hold,
 * options the chosen mode ignores, and an output or store that is the input itself. */
static fr_status check_consistent(const fr_run_settings *s, fr_err *err)
{
    const size_t max_path = sizeof(((fr_node_config *)0)->model) - 1;
    const char *paths[] = {"input", s->input, "--output", s->output, "--store", s->store, "--model", s->model};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i += 2)
        if (paths[i + 1] && strlen(paths[i + 1]) > max_path - 80)
            return fr_err_set(err, FR_ERR_ARG, "%s: the path is %zu bytes long; at most %zu are supported", paths[i],
                              strlen(paths[i + 1]), max_path - 80);
    if (s->ranks == 0) {
        static const char *const distributed_only[] = {"store", "batch", "smoothing", "smooth-radius",
                                                       "smooth-strength", "overwrite"};
        for (size_t i = 0; i < sizeof distributed_only / sizeof distributed_only[0]; i++)
            if (fr_run_settings_given(s, distributed_only[i]))
                return fr_err_set(err, FR_ERR_ARG, "--%s has no effect with --ranks 0 (one process: no store, no smoothing)",
                                  distributed_only[i]);
    }
    if (fr_path_same_file(s->input, s->output))
        return fr_err_set(err, FR_ERR_ARG, "%s: the output is the input file itself; choose another -o", s->output);
    char store[1100];
    snprintf(store, sizeof store, "%s.h5", s->output);
    const char *st = s->store ? s->store : store;
    if (fr_path_same_file(s->input, st))
        return fr_err_set(err, FR_ERR_ARG, "%s: the store is the input file itself; choose another --store", st);
    if (fr_path_same_file(s->output, st))
        return fr_err_set(err, FR_ERR_ARG, "%s: the store is the output file itself; choose another --store", st);
    return FR_OK;
}
