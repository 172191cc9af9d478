/* cmd_colorize_image.c: `filmrestore colorize-image IN... -o OUT`.
 *
 * Stills go through the same path as film frames (local_run.c): the model
 * sees the gray image at render_factor x 16 pixels, and its chroma, upsampled,
 * is merged with the image's own full-size luma (DeOldify's post-processing).
 * One input file and an OUT with an image extension write that file. Several
 * inputs, or a folder, write OUT/<name>.png for each image into the folder OUT. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
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
    if (fr_local_run(l, in, out, codec, &err) != FR_OK) {
        fr_cli_error("%s", err.msg);
        return 1;
    }
    fprintf(stderr, "[colorize-image] %s -> %s\n", in, out);
    return 0;
}

int fr_cmd_colorize_image(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},  {"model", required_argument, NULL, 'm'},
        {"render-factor", required_argument, NULL, 'r'}, {"threads", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'}, {0}};
    const char *out = NULL, *model = "default";
    long rf = 35, threads = 1;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:m:r:t:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'm': model = optarg; break;
        case 'r': if (!fr_cli_parse_int("render-factor", optarg, 4, 128, &rf)) return 2; break;
        case 't': if (!fr_cli_parse_int("threads", optarg, 0, 256, &threads)) return 2; break;
        case 'h':
            printf("usage: filmrestore colorize-image IN [IN ...] -o OUT [--model M] [--render-factor N] [--threads T]\n\n"
                   "One input and OUT an image file: writes OUT. Several inputs or a folder: writes\n"
                   "OUT/<name>.png for each image. --render-factor defaults to 35, DeOldify's for stills.\n");
            return 0;
        default: return 2;
        }
    }
    int n = argc - optind;
    if (n < 1 || !out) {
        fr_cli_error("colorize-image: give at least one input and -o OUT");
        return 2;
    }
    int many = n > 1 || is_dir(argv[optind]) || is_dir(out); /* cp's convention: -o DIR means into DIR */
    if (many && !is_dir(out) && mkdir(out, 0777) != 0) {
        fr_cli_error("cannot create the folder %s: %s", out, strerror(errno));
        return 1;
    }
    fr_err err = {0};
    fr_local *l = NULL;
    if (fr_local_new(&l, model, (int)threads, NULL, (int)rf, 0, &err) != FR_OK) {
        fr_cli_error("%s", err.msg);
        return 1;
    }
    int failed = 0;
    for (int i = optind; i < argc; i++) {
        if (!is_dir(argv[i])) {
            failed |= colorize_one(l, argv[i], many ? out : NULL, out);
            continue;
        }
        DIR *d = opendir(argv[i]);
        if (!d) {
            fr_cli_error("%s: %s", argv[i], strerror(errno));
            failed = 1;
            continue;
        }
        struct dirent **names = NULL;
        int k = scandir(argv[i], &names, NULL, alphasort);
        for (int j = 0; j < k; j++) {
            char p[PATH_MAX + 256];
            snprintf(p, sizeof p, "%s/%s", argv[i], names[j]->d_name);
            if (fr_path_is_image(names[j]->d_name) && !is_dir(p))
                failed |= colorize_one(l, p, out, out);
            free(names[j]);
        }
        free(names);
        closedir(d);
    }
    fr_local_free(l);
    return failed;
}
