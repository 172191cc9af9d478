/* cmd_render_gray.c: `filmrestore render_gray`, an internal command for tests and tools: what
 * the generator sees of each frame of a film (fr_renderer: full-range luma, resized to
 * render-factor x 16 pixels on a side, as DeOldify's pre-processing does), as raw bytes.
 *
 *   filmrestore render_gray INPUT -o OUT.raw [--render-factor N]
 *
 * OUT.raw holds one S*S byte plane per frame, S = render factor x 16. The nodes render their
 * segments' frames with the same code; the store keeps no gray planes. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fr_opts.h"
#include "fr_video_in.h"

typedef struct {
    const char *output;
    long render_factor;
} render_args;

#define A(f) offsetof(render_args, f)
static const fr_opt render_rows[] = {
    {"output", 'o', FR_OPT_STRING, A(output), NULL, 0, 0, "raw output file (required)"},
    {"render-factor", 'r', FR_OPT_LONG, A(render_factor), "21", 4, 128, "render-factor x 16 pixels on a side"},
};
static const fr_opt_group render_group = {render_rows, sizeof render_rows / sizeof render_rows[0], 0, NULL};

int fr_cmd_render_gray(int argc, char **argv)
{
    render_args a;
    memset(&a, 0, sizeof a);
    fr_opts_defaults(&render_group, 1, &a);
    char *pos[1];
    int npos = 0;
    int rc = fr_opts_command(&render_group, 1, &a, "usage: filmrestore render_gray INPUT -o OUT.raw [--render-factor N]\n",
                             argc, argv, pos, 1, &npos);
    if (rc >= 0)
        return rc;
    if (npos != 1 || !a.output) {
        fr_cli_error("render_gray: give one INPUT and -o OUT.raw");
        return 2;
    }
    int size = (int)a.render_factor * 16;
    fr_err err = {0};
    fr_video_in *in = NULL;
    fr_renderer *r = NULL;
    uint8_t *gray = malloc((size_t)size * size);
    FILE *out = fopen(a.output, "wb");
    fr_status st = !gray ? fr_err_set(&err, FR_ERR_NOMEM, "out of memory")
                   : !out ? fr_err_set(&err, FR_ERR_IO, "cannot write %s", a.output)
                          : fr_video_in_open(&in, pos[0], &err);
    if (st == FR_OK)
        st = fr_renderer_new(&r, size, &err);
    fr_frame f;
    while (st == FR_OK && (st = fr_video_in_read(in, &f, &err)) == FR_OK) {
        st = fr_renderer_gray(r, &f.luma, fr_video_in_info(in)->full_range, gray, &err);
        if (st == FR_OK && fwrite(gray, 1, (size_t)size * size, out) != (size_t)size * size)
            st = fr_err_set(&err, FR_ERR_IO, "cannot write %s", a.output);
    }
    if (out && fclose(out) != 0 && (st == FR_OK || st == FR_EOF))
        st = fr_err_set(&err, FR_ERR_IO, "cannot write %s", a.output);
    fr_renderer_free(r);
    fr_video_in_free(in);
    free(gray);
    if (st != FR_EOF) {
        fr_cli_error("%s", err.msg);
        return 1;
    }
    return 0;
}
