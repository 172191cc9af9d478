/* cmd_colorize_image.c: `filmrestore colorize-image IN... -o OUT`.
 *
 * Stills go through the same path as film frames (local_run.c): the model
 * sees the gray image at render_factor x 16 pixels, and its chroma, upsampled,
 * is merged with the image's own full-size luma (DeOldify's post-processing).
 * One input file and an OUT with an image extension write that file. Several
 * inputs, or a folder, write OUT/<name>.png for each image into the folder OUT. */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "fr_opts.h"
#include "fr_path.h"
#include "local_run.h"

static int is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int colorize_one(fr_local *l, const char *in, const char *outdir, const char *out)
{
    char path[PATH_MAX + 64];
    if (outdir) {
        const char *base = strrchr(in, '/') ? strrchr(in, '/') + 1 : in;
        const char *dot = strrchr(base, '.');
        snprintf(path, sizeof path, "%s/%.*s.png", outdir, (int)(dot ? dot - base : (long)strlen(base)), base);
        out = path;
    }
    fr_err err = {0};
    fr_codec codec = FR_CODEC_AUTO;
    if (fr_local_run(l, in, out, codec, NULL, &err) != FR_OK) {
        fr_cli_error("%s", err.msg);
        return 1;
    }
    fprintf(stderr, "[colorize-image] %s -> %s\n", in, out);
    return 0;
}

typedef struct {
    const char *output, *model;
    long render_factor, threads;
} image_args;

#define A(f) offsetof(image_args, f)
static const fr_opt image_rows[] = {
    {"output", 'o', FR_OPT_STRING, A(output), NULL, 0, 0, "an image file, or a folder for several inputs"},
    {"model", 'm', FR_OPT_STRING, A(model), "default", 0, 0, "model name or file"},
    {"render-factor", 'r', FR_OPT_LONG, A(render_factor), "35", 4, 128, "the model sees render-factor x 16 pixels (35: DeOldify's for stills)"},
    {"threads", 't', FR_OPT_LONG, A(threads), "1", 0, 256, "compute threads"},
};
static const fr_opt_group image_group = {image_rows, sizeof image_rows / sizeof image_rows[0], 0, NULL};

int fr_cmd_colorize_image(int argc, char **argv)
{
    image_args a;
    memset(&a, 0, sizeof a);
    fr_opts_defaults(&image_group, 1, &a);
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    int n = 0;
    if (!pos) {
        fr_cli_error("out of memory");
        return 1;
    }
    int rc = fr_opts_command(&image_group, 1, &a,
                             "usage: filmrestore colorize-image IN [IN ...] -o OUT [OPTIONS]\n\n"
                             "One input and OUT an image file: writes OUT. Several inputs or a folder: writes\n"
                             "OUT/<name>.png for each image.\n\n",
                             argc, argv, pos, argc, &n);
    if (rc < 0 && (n < 1 || !a.output)) {
        fr_cli_error("colorize-image: give at least one input and -o OUT");
        rc = 2;
    }
    if (rc >= 0) {
        free(pos);
        return rc;
    }
    fr_err err = {0};
    const char *out = a.output;
    int many = n > 1 || is_dir(pos[0]) || is_dir(out); /* cp's convention: -o DIR means into DIR */
    if (many && !is_dir(out) && mkdir(out, 0777) != 0) {
        fr_cli_error("cannot create the folder %s: %s", out, strerror(errno));
        free(pos);
        return 1;
    }
    fr_local *l = NULL;
    if (fr_local_new(&l, a.model, (int)a.threads, NULL, (int)a.render_factor, 0, &err) != FR_OK) {
        fr_cli_error("%s", err.msg);
        free(pos);
        return 1;
    }
    int failed = 0;
    for (int i = 0; i < n; i++) {
        if (!is_dir(pos[i])) {
            failed |= colorize_one(l, pos[i], many ? out : NULL, out);
            continue;
        }
        DIR *d = opendir(pos[i]);
        if (!d) {
            fr_cli_error("%s: %s", pos[i], strerror(errno));
            failed = 1;
            continue;
        }
        struct dirent **names = NULL;
        int k = scandir(pos[i], &names, NULL, alphasort);
        for (int j = 0; j < k; j++) {
            char p[PATH_MAX + 256];
            snprintf(p, sizeof p, "%s/%s", pos[i], names[j]->d_name);
            if (fr_path_is_image(names[j]->d_name) && !is_dir(p))
                failed |= colorize_one(l, p, out, out);
            free(names[j]);
        }
        free(names);
        closedir(d);
    }
    fr_local_free(l);
    free(pos);
    return failed;
}
