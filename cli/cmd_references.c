/* cmd_references.c: `filmrestore references export INPUT --every-shot DIR`.
 *
 * The colourist's starting point (docs/references.md): the film's shots are found with the
 * same detector and settings as `run` uses, and one gray frame per shot (its middle frame by
 * default) is written as DIR/NNNNNN.png, named by source frame number, at the film's own size,
 * in full range. Painted, the folder is what `run --references DIR` reads back. Two passes over
 * the film: detection, then the chosen frames. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libavcodec/avcodec.h>

#include "cli.h"
#include "fr_opts.h"
#include "fr_video_in.h"
#include "shots.h"
#include "shots_settings.h"

typedef struct {
    const char *dir, *pick;
    fr_shots_opts o;
} export_args;

#define A(f) offsetof(export_args, f)
static const fr_opt rows[] = {
    {"every-shot", 0, FR_OPT_STRING, A(dir), NULL, 0, 0, "folder to write one gray frame per shot into"},
    {"pick", 0, FR_OPT_STRING, A(pick), "middle", 0, 0, "which frame of each shot: middle, first or last"},
};
#undef A

static size_t groups(fr_opt_group g[2])
{
    return fr_shots_command_groups(g, rows, sizeof rows / sizeof rows[0], offsetof(export_args, o),
                                   "shot detector settings (give the same as to 'run')");
}

static void defaults(export_args *a)
{
    fr_opt_group g[2];
    memset(a, 0, sizeof *a);
    fr_shots_defaults(&a->o);
    fr_opts_defaults(g, groups(g), a);
}

/* Shot starts (boundaries, frame 0 first) and the frame count, from one pass. */
static fr_status detect(const char *input, const fr_shots_opts *o, int64_t **starts, int *n, int64_t *frames,
                        fr_err *err)
{
    fr_video_in *v = NULL;
    fr_shots *s = NULL;
    int cap = 16;
    *starts = malloc(sizeof **starts * (size_t)cap);
    if (!*starts)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    (*starts)[0] = 0;
    *n = 1;
    fr_status st;
    if ((st = fr_video_in_open(&v, input, err)) != FR_OK || (st = fr_shots_new(&s, o, err)) != FR_OK)
        goto done;
    fr_frame f;
    int64_t count = 0;
    int finished = 0;
    for (;;) {
        if (!finished) {
            st = fr_video_in_read(v, &f, err);
            if (st == FR_EOF) {
                finished = 1;
                st = fr_shots_finish(s, err);
            } else if (st == FR_OK) {
                st = fr_shots_push(s, &f.luma, count++, err);
            }
            if (st != FR_OK)
                goto done;
        }
        fr_shot_boundary b;
        while (fr_shots_pop(s, &b)) {
            if (*n == cap) {
                int64_t *p = realloc(*starts, sizeof *p * (size_t)(cap *= 2));
                if (!p) {
                    st = fr_err_set(err, FR_ERR_NOMEM, "out of memory");
                    goto done;
                }
                *starts = p;
            }
            (*starts)[(*n)++] = b.frame;
        }
        if (finished)
            break;
    }
    *frames = count;
done:
    fr_shots_free(s);
    fr_video_in_free(v);
    return st;
}

/* The luma plane as an 8-bit full-range gray PNG. */
static fr_status write_png(const char *path, const fr_plane *luma, int full_range, fr_err *err)
{
    const AVCodec *c = avcodec_find_encoder(AV_CODEC_ID_PNG);
    AVCodecContext *cc = c ? avcodec_alloc_context3(c) : NULL;
    AVFrame *fr = av_frame_alloc();
    AVPacket *pkt = av_packet_alloc();
    fr_status st = FR_OK;
    FILE *out = NULL;
    if (!cc || !fr || !pkt) {
        st = fr_err_set(err, FR_ERR_NOMEM, "no PNG encoder, or out of memory");
        goto done;
    }
    cc->width = fr->width = luma->width;
    cc->height = fr->height = luma->height;
    cc->pix_fmt = AV_PIX_FMT_GRAY8;
    fr->format = AV_PIX_FMT_GRAY8;
    cc->time_base = (AVRational){1, 25};
    if (avcodec_open2(cc, c, NULL) < 0 || av_frame_get_buffer(fr, 0) < 0) {
        st = fr_err_set(err, FR_ERR_CODEC, "cannot start the PNG encoder");
        goto done;
    }
    int shift = luma->bits - 8;
    for (int y = 0; y < luma->height; y++)
        for (int x = 0; x < luma->width; x++) {
            const uint8_t *row = luma->data + (ptrdiff_t)y * luma->linesize;
            int v = luma->bits > 8 ? ((const uint16_t *)row)[x] >> shift : row[x];
            if (!full_range)
                v = (v - 16) * 255 / 219;
            fr->data[0][(ptrdiff_t)y * fr->linesize[0] + x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    if (avcodec_send_frame(cc, fr) < 0 || avcodec_receive_packet(cc, pkt) < 0) {
        st = fr_err_set(err, FR_ERR_CODEC, "PNG encoding failed for %s", path);
        goto done;
    }
    out = fopen(path, "wb");
    if (!out || fwrite(pkt->data, 1, (size_t)pkt->size, out) != (size_t)pkt->size)
        st = fr_err_set(err, FR_ERR_IO, "%s: %s", path, strerror(errno));
done:
    if (out && fclose(out) != 0 && st == FR_OK)
        st = fr_err_set(err, FR_ERR_IO, "%s: %s", path, strerror(errno));
    av_packet_free(&pkt);
    av_frame_free(&fr);
    avcodec_free_context(&cc);
    return st;
}

static fr_status export_frames(const char *input, const export_args *a, fr_err *err)
{
    int64_t *starts = NULL, frames = 0;
    int n = 0;
    fr_status st = detect(input, &a->o, &starts, &n, &frames, err);
    fr_video_in *v = NULL;
    if (st == FR_OK && (st = fr_video_in_open(&v, input, err)) != FR_OK)
        goto done;
    for (int k = 0, i = 0; st == FR_OK && k < n; k++) {
        int64_t s = starts[k], e = k + 1 < n ? starts[k + 1] : frames;
        int64_t want = !strcmp(a->pick, "first") ? s : !strcmp(a->pick, "last") ? e - 1 : s + (e - s - 1) / 2;
        fr_frame f;
        do
            st = fr_video_in_read(v, &f, err);
        while (st == FR_OK && f.index < want);
        if (st == FR_EOF)
            st = fr_err_set(err, FR_ERR_INPUT, "%s: frame %lld is missing on the second read", input, (long long)want);
        if (st != FR_OK)
            break;
        char path[2048];
        snprintf(path, sizeof path, "%s/%06lld.png", a->dir, (long long)want);
        st = write_png(path, &f.luma, fr_video_in_info(v)->full_range, err);
        if (st == FR_OK)
            fprintf(stderr, "[references] shot %d (frames %lld-%lld): %s\n", i++, (long long)s, (long long)e - 1, path);
    }
done:
    fr_video_in_free(v);
    free(starts);
    return st;
}

int fr_cmd_references(int argc, char **argv)
{
    export_args a;
    defaults(&a);
    fr_opt_group g[2];
    fr_err err = {0};
    if (argc < 2 || strcmp(argv[1], "export")) {
        if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
            printf("usage: filmrestore references export INPUT --every-shot DIR [--pick middle|first|last]\n");
            return 0;
        }
        fr_cli_error("references: expected 'export INPUT --every-shot DIR' (see 'filmrestore references --help')");
        return 2;
    }
    char *pos[2];
    int npos = 0;
    fr_status st = fr_opts_getopt(g, groups(g), &a, argc - 1, argv + 1, pos, 2, &npos, &err);
    if (st == FR_EOF) {
        export_args d;
        defaults(&d);
        printf("usage: filmrestore references export INPUT --every-shot DIR [options]\n\n"
               "Writes one gray frame per shot as DIR/NNNNNN.png (NNNNNN: the source frame number),\n"
               "for a colourist to paint; 'run --references DIR' then uses the painted pictures.\n\n");
        fr_opts_help(stdout, g, groups(g), &d);
        return 0;
    }
    if (st == FR_OK && npos != 1)
        st = fr_err_set(&err, FR_ERR_ARG, "references export: expected one INPUT");
    if (st == FR_OK && !a.dir)
        st = fr_err_set(&err, FR_ERR_ARG, "references export: --every-shot DIR is required");
    if (st == FR_OK && strcmp(a.pick, "middle") && strcmp(a.pick, "first") && strcmp(a.pick, "last"))
        st = fr_err_set(&err, FR_ERR_ARG, "--pick: '%s' is not middle, first or last", a.pick);
    if (st == FR_OK && mkdir(a.dir, 0777) != 0 && errno != EEXIST)
        st = fr_err_set(&err, FR_ERR_IO, "cannot create the folder %s: %s", a.dir, strerror(errno));
    if (st == FR_OK)
        st = export_frames(pos[0], &a, &err);
    if (st != FR_OK) {
        fr_cli_error("%s", err.msg);
        return fr_status_exit_code(st);
    }
    return 0;
}
