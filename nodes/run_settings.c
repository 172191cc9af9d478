/* run_settings.c: the run options table, and the run's groups for fr_opts.c (see run_settings.h). */
#include "run_settings.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fr_path.h"
#include "fr_wire.h"
#include "shots_settings.h"

#define OFF(f) offsetof(fr_run_settings, f)

const fr_opt fr_run_opts[] = {
    {"output", 'o', FR_OPT_STRING, OFF(output), NULL, 0, 0,
     "output file; its extension picks the container (.mkv, .mp4, .mov)"},
    {"model", 'm', FR_OPT_STRING, OFF(model), "default", 0, 0,
     "default (embedded), gray, tint, or a model file (.h5)"},
    {"render-factor", 'r', FR_OPT_LONG, OFF(render_factor), "21", 4, 128,
     "the model sees render-factor x 16 pixels on a side"},
    {"batch", 'b', FR_OPT_LONG, OFF(batch), "16", 1, 4096, "frames the generator takes at once, on a node"},
    {"segment-frames", 0, FR_OPT_LONG, OFF(segment_frames), "96", 8, 4096,
     "most frames in a segment, the unit a node decodes, colourises and encodes (never spans a cut)"},
    {"ranks", 'n', FR_OPT_LONG, OFF(ranks), "2", 0, 4096,
     "node ranks to start on this machine (0: one process, no MPI)"},
    {"store", 's', FR_OPT_STRING, OFF(store), NULL, 0, 0,
     "HDF5 store and checkpoint (default: OUTPUT.h5); rerun to resume"},
    {"codec", 'c', FR_OPT_STRING, OFF(codec), NULL, 0, 0,
     "h264 (review), ffv1 (archive), prores (studio), png or tiff (stills); default from the extension"},
    {"threads", 't', FR_OPT_LONG, OFF(threads), "1", 0, 256,
     "compute threads per node rank (0: OMP_NUM_THREADS)"},
    {"backend", 0, FR_OPT_STRING, OFF(backend), NULL, 0, 0,
     "auto (default: a GPU where one is usable, else the cpu), cpu or cuda; a node takes the GPU of its local rank"},
    {"precision", 0, FR_OPT_STRING, OFF(precision), NULL, 0, 0,
     "fp32, fp16 or bf16, recorded in the store (default fp32; cpu: bf16 needs AVX512_BF16 or AMX)"},
    {"winograd", 0, FR_OPT_STRING, OFF(winograd), "off", 0, 0,
     "Winograd 3x3 convolutions on the cpu: on is faster, but its bytes depend on --threads"},
    {"overwrite", 'y', FR_OPT_FLAG, OFF(overwrite), NULL, 0, 1,
     "replace a store left by another run (other input, model or settings), or an existing output "
     "filmrestore did not write, instead of refusing"},
    {"tolerate-damage", 0, FR_OPT_FLAG, OFF(tolerate_damage), NULL, 0, 1,
     "drop frames lost to damage in the source, logging each and recording it in the store, instead of refusing it"},
    {"max-pixels", 0, FR_OPT_STRING, OFF(max_pixels), "16384x16384", 0, 0,
     "largest picture accepted (source and references), as WxH or a pixel count"},
    {"hostfile", 0, FR_OPT_STRING, OFF(hostfile), NULL, 0, 0,
     "start the ranks with mpirun on this Open MPI hostfile's hosts (no SLURM)"},
    {"launcher", 0, FR_OPT_STRING, OFF(launcher), "auto", 0, 0,
     "how to start the ranks: auto or mpirun, or srun (inside a SLURM allocation)"},
};
const size_t fr_run_opts_count = sizeof fr_run_opts / sizeof fr_run_opts[0];

size_t fr_run_groups(fr_opt_group g[FR_RUN_GROUPS])
{
    fr_opt_group own[2];
    fr_shots_command_groups(own, fr_run_opts, fr_run_opts_count, offsetof(fr_run_settings, shots),
                            "shot detector settings (as for 'filmrestore shots')");
    size_t n = 0;
    g[n++] = own[0];
    n += fr_stage_groups(g + n, offsetof(fr_run_settings, stages));
    g[n++] = own[1];
    return n;
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

int fr_run_settings_given(const fr_run_settings *s, const char *name)
{
    fr_opt_group g[FR_RUN_GROUPS];
    size_t ng = fr_run_groups(g), base;
    const fr_opt *o = fr_opts_find(g, ng, name, &base);
    if (!o)
        return 0;
    fr_run_settings d;
    fr_run_settings_defaults(&d);
    char now[256], def[256];
    fr_opts_format(o, (const char *)s + base + o->offset, now, sizeof now);
    fr_opts_format(o, (const char *)&d + base + o->offset, def, sizeof def);
    return strcmp(now, def) != 0;
}

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

/* Settings that parse alone but not together: lengths the wire and the store can hold,
 * options the chosen mode ignores, and an output or store that is the input itself. */
static fr_status check_consistent(const fr_run_settings *s, fr_err *err)
{
    const size_t max_path = sizeof(((fr_node_config *)0)->model) - 1;
    const char *paths[] = {"input", s->input, "--output", s->output, "--store", s->store, "--model", s->model,
                           "--references", s->stages.references};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i += 2)
        if (paths[i + 1] && strlen(paths[i + 1]) > max_path - 80)
            return fr_err_set(err, FR_ERR_ARG, "%s: the path is %zu bytes long; at most %zu are supported", paths[i],
                              strlen(paths[i + 1]), max_path - 80);
    if (s->ranks == 0) {
        static const char *const distributed_only[] = {"hostfile", "launcher"};
        for (size_t i = 0; i < sizeof distributed_only / sizeof distributed_only[0]; i++)
            if (fr_run_settings_given(s, distributed_only[i]))
                return fr_err_set(err, FR_ERR_ARG, "--%s has no effect with --ranks 0 (one process: no MPI ranks to start)",
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

fr_status fr_run_settings_check(const fr_run_settings *s, fr_err *err)
{
    if (!s->input)
        return fr_err_set(err, FR_ERR_ARG, "missing INPUT");
    if (!s->output)
        return fr_err_set(err, FR_ERR_ARG, "missing -o OUTPUT");
    if (strcmp(s->winograd, "on") && strcmp(s->winograd, "off"))
        return fr_err_set(err, FR_ERR_ARG, "--winograd: '%s' is not on or off", s->winograd);
    fr_codec codec;
    if (s->codec && !fr_codec_parse(s->codec, &codec))
        return fr_err_set(err, FR_ERR_ARG, "--codec: '%s' is not h264, ffv1, prores, png or tiff", s->codec);
    if (strcmp(s->launcher, "auto") && strcmp(s->launcher, "mpirun") && strcmp(s->launcher, "srun"))
        return fr_err_set(err, FR_ERR_ARG, "--launcher: '%s' is not auto, mpirun or srun", s->launcher);
    if (s->hostfile && !strcmp(s->launcher, "srun"))
        return fr_err_set(err, FR_ERR_ARG, "--hostfile starts mpirun; it cannot go with --launcher srun");
    if (s->backend && strcmp(s->backend, "auto") && strcmp(s->backend, "cpu") && strcmp(s->backend, "cuda"))
        return fr_err_set(err, FR_ERR_ARG, "--backend: '%s' is not auto, cpu or cuda", s->backend);
    if (s->precision && strcmp(s->precision, "fp32") && strcmp(s->precision, "fp16") && strcmp(s->precision, "bf16"))
        return fr_err_set(err, FR_ERR_ARG, "--precision: '%s' is not fp32, fp16 or bf16", s->precision);
    int64_t pixels;
    fr_status cs = parse_pixels(s->max_pixels, &pixels, err);
    if (cs == FR_OK)
        cs = check_consistent(s, err);
    if (cs == FR_OK)
        cs = fr_stage_settings_check(&s->stages, err);
    if (cs != FR_OK)
        return cs;
    return fr_shots_opts_check(&s->shots, err); /* the detector's own checks across its settings */
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
    if ((st = fr_run_settings_check(s, err)) != FR_OK)
        return st;
    return parse_pixels(s->max_pixels, &s->max_pixel_count, err);
}
