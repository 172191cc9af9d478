/* cmd_colorize_image.c: `filmrestore colorize-image IN... -o OUT`.
 *
 * Each still goes through the film pipeline, in this one process (`run --ranks 0`): a
 * one-frame film whose store is a temporary file, removed after. The model sees the gray
 * image at render_factor x 16 pixels, and its chroma, upsampled, is merged with the
 * image's own full-size luma (DeOldify's post-processing).
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
#include <unistd.h>

#include "cli.h"
#include "fr_model_check.h"
#include "fr_opts.h"
#include "fr_path.h"
#include "fr_log.h"
#include "run_settings.h"

static int is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

typedef struct {
    const char *output, *model;
    long render_factor, threads;
} image_args;

/* The pipeline on one still; its store and part files in tmpdir, removed after. */
static fr_status colorize_still(const image_args *a, const char *tmpdir, const char *in, const char *out, fr_err *err)
{
    char store[PATH_MAX + 32], parts[PATH_MAX + 48];
    snprintf(store, sizeof store, "%s/still.h5", tmpdir);
    snprintf(parts, sizeof parts, "%s.parts", store);
    fr_run_settings s;
    fr_run_settings_defaults(&s);
    s.input = in;
    s.output = out;
    s.model = a->model;
    s.render_factor = a->render_factor;
    s.threads = a->threads;
    s.ranks = 0;
    s.store = store;
    s.overwrite = 1; /* an image written before is replaced, as cp would */
    s.max_pixel_count = fr_video_in_max_pixels();
    fr_status st = fr_run_settings_check(&s, err);
    if (st == FR_OK)
        st = fr_run_in_process(&s, err);
    char path[PATH_MAX + 80];
    DIR *d = opendir(parts);
    for (struct dirent *e; d && (e = readdir(d));)
        if (e->d_name[0] != '.' && snprintf(path, sizeof path, "%s/%s", parts, e->d_name) < (int)sizeof path)
            unlink(path);
    if (d)
        closedir(d);
    rmdir(parts);
    unlink(store);
    snprintf(path, sizeof path, "%s.lock", store);
    unlink(path);
    return st;
}

static int colorize_one(const image_args *a, const char *tmpdir, const char *in, const char *outdir, const char *out)
{
    char path[PATH_MAX + 64];
    if (outdir) {
        const char *base = strrchr(in, '/') ? strrchr(in, '/') + 1 : in;
        const char *dot = strrchr(base, '.');
        snprintf(path, sizeof path, "%s/%.*s.png", outdir, (int)(dot ? dot - base : (long)strlen(base)), base);
        out = path;
    }
    fr_err err = {0};
    if (colorize_still(a, tmpdir, in, out, &err) != FR_OK) {
        fr_cli_error("%s", err.msg);
        return 1;
    }
    fprintf(stderr, "[colorize-image] %s -> %s\n", in, out);
    return 0;
}

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
    fr_err merr = {0};
    if (fr_model_check_isolated(a.model, &merr) != FR_OK) { /* once, before any still */
        fr_cli_error("%s", merr.msg);
        free(pos);
        return 1;
    }
    const char *out = a.output;
    int many = n > 1 || is_dir(pos[0]) || is_dir(out); /* cp's convention: -o DIR means into DIR */
    if (many && !is_dir(out) && mkdir(out, 0777) != 0) {
        fr_cli_error("cannot create the folder %s: %s", out, strerror(errno));
        free(pos);
        return 1;
    }
    char tmpdir[PATH_MAX];
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/filmrestore-still.XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(tmpdir)) {
        fr_cli_error("cannot create a temporary folder %s: %s", tmpdir, strerror(errno));
        free(pos);
        return 1;
    }
    fr_log_level level = fr_log_get_level();
    if (level == FR_LOG_INFO) /* one line a still, not the pipeline's */
        fr_log_set_level(FR_LOG_WARN);
    int failed = 0;
    for (int i = 0; i < n; i++) {
        if (!is_dir(pos[i])) {
            failed |= colorize_one(&a, tmpdir, pos[i], many ? out : NULL, out);
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
                failed |= colorize_one(&a, tmpdir, p, out, out);
            free(names[j]);
        }
        free(names);
        closedir(d);
    }
    fr_log_set_level(level);
    rmdir(tmpdir);
    free(pos);
    return failed;
}
