/* run_settings.c: the run options table, and the run's groups for fr_opts.c (see run_settings.h). */
#include "run_settings.h"

#include <string.h>

#include "shots_settings.h"

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
    {"precision", 0, FR_OPT_STRING, OFF(precision), NULL, 0, 0,
     "fp32, fp16 or bf16 (default: the backend's; the cpu computes in fp32)"},
    {"winograd", 0, FR_OPT_STRING, OFF(winograd), "off", 0, 0,
     "Winograd 3x3 convolutions on the cpu: on is faster, but its bytes depend on --threads"},
    {"smoothing", 0, FR_OPT_STRING, OFF(smoothing), "on", 0, 0, "temporal chroma smoothing: on or off"},
    {"smooth-radius", 0, FR_OPT_LONG, OFF(smooth_radius), "3", 1, 16,
     "temporal smoothing window radius, in frames"},
    {"smooth-strength", 0, FR_OPT_DOUBLE, OFF(smooth_strength), "1", 0, 1,
     "temporal smoothing strength, 0 (none) to 1"},
    {"overwrite", 'y', FR_OPT_FLAG, OFF(overwrite), NULL, 0, 1,
     "replace a store left by another run (other input, model or settings) instead of refusing"},
};
const size_t fr_run_opts_count = sizeof fr_run_opts / sizeof fr_run_opts[0];

size_t fr_run_groups(fr_opt_group g[FR_RUN_GROUPS])
{
    g[0] = (fr_opt_group){fr_run_opts, fr_run_opts_count, 0, NULL};
    g[1] = (fr_opt_group){fr_shots_opt_rows, fr_shots_opt_rows_count, offsetof(fr_run_settings, shots),
                          "shot detector settings (as for 'filmrestore shots')"};
    return FR_RUN_GROUPS;
}

fr_status fr_run_settings_set(fr_run_settings *s, const char *name, const char *value, fr_err *err)
{
    fr_opt_group g[FR_RUN_GROUPS];
    return fr_opts_set(g, fr_run_groups(g), s, name, value, err);
}

void fr_run_settings_defaults(fr_run_settings *s)
{
    fr_opt_group g[FR_RUN_GROUPS];
    memset(s, 0, sizeof *s);
    fr_shots_defaults(&s->shots);
    fr_opts_defaults(g, fr_run_groups(g), s);
}

void fr_run_settings_help(FILE *f)
{
    fr_opt_group g[FR_RUN_GROUPS];
    fr_run_settings d;
    fr_run_settings_defaults(&d);
    fr_opts_help(f, g, fr_run_groups(g), &d);
}

fr_status fr_run_settings_check(const fr_run_settings *s, fr_err *err)
{
    if (!s->input)
        return fr_err_set(err, FR_ERR_ARG, "missing INPUT");
    if (!s->output)
        return fr_err_set(err, FR_ERR_ARG, "missing -o OUTPUT");
    if (strcmp(s->smoothing, "on") && strcmp(s->smoothing, "off"))
        return fr_err_set(err, FR_ERR_ARG, "--smoothing: '%s' is not on or off", s->smoothing);
    if (strcmp(s->winograd, "on") && strcmp(s->winograd, "off"))
        return fr_err_set(err, FR_ERR_ARG, "--winograd: '%s' is not on or off", s->winograd);
    fr_codec codec;
    if (s->codec && !fr_codec_parse(s->codec, &codec))
        return fr_err_set(err, FR_ERR_ARG, "--codec: '%s' is not h264, ffv1 or prores", s->codec);
    fr_shots *probe = NULL; /* the detector's own checks across its settings */
    fr_err e = {0};
    if (fr_shots_new(&probe, &s->shots, &e) != FR_OK)
        return fr_err_set(err, FR_ERR_ARG, "%s", e.msg);
    fr_shots_free(probe);
    return FR_OK;
}

fr_status fr_run_settings_parse(fr_run_settings *s, int argc, char **argv, fr_err *err)
{
    fr_opt_group g[FR_RUN_GROUPS];
    char *pos[2];
    int npos = 0;
    fr_status st = fr_opts_getopt(g, fr_run_groups(g), s, argc, argv, pos, 2, &npos, err);
    if (st != FR_OK)
        return st;
    if (npos != 1)
        return fr_err_set(err, FR_ERR_ARG, npos == 0 ? "missing INPUT" : "more than one INPUT given");
    s->input = pos[0];
    return fr_run_settings_check(s, err);
}
