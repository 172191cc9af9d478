/* cmd_run.c: `filmrestore run INPUT -o OUTPUT`: colourise a film.
 *
 * With --ranks 0 everything runs in this one process: each decoded frame is
 * rendered to the model's size, colourised, and re-muxed straight away. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fr_generator.h"
#include "fr_node.h"
#include "fr_wire.h"
#include "launch.h"
#include "pipeline.h"
#include "fr_log.h"
#include "fr_remux.h"
#include "progress.h"
#include "run_settings.h"

typedef struct {
    fr_generator *gen;
    fr_renderer *render;
    const fr_video_info *info;
    uint8_t *gray;
    int size;
    fr_progress *progress;
    int64_t total, done;
} local_run;

static fr_status local_chroma(void *ctx, const fr_frame *f, uint8_t *chroma, fr_err *err)
{
    local_run *lr = ctx;
    fr_status st = fr_renderer_gray(lr->render, &f->luma, lr->info->full_range, lr->gray, err);
    if (st != FR_OK)
        return st;
    return fr_generator_colorize(lr->gen, lr->gray, 1, lr->size, chroma, err);
}

static void local_progress(void *ctx, int64_t done)
{
    local_run *lr = ctx;
    lr->done = done;
    fr_progress_event ev = {"colorize", done, lr->total, 0, 0};
    fr_progress_report(lr->progress, &ev);
}

/* Runs the whole job in this process. */
static fr_status run_local(const fr_run_settings *s, fr_err *err)
{
    local_run lr = {0};
    lr.size = (int)s->render_factor * 16;
    fr_codec codec = FR_CODEC_AUTO;
    if (s->codec)
        fr_codec_parse(s->codec, &codec);
    fr_status st = fr_remux_check_output(s->output, codec, err);
    if (st != FR_OK)
        return st;
    fr_video_in *probe = NULL;
    if ((st = fr_video_in_open(&probe, s->input, err)) != FR_OK)
        return st;
    fr_video_info info = *fr_video_in_info(probe);
    fr_video_in_free(probe);
    lr.info = &info;
    lr.total = info.nb_frames;
    fr_generator_opts go = {(int)s->threads, s->backend};
    if ((st = fr_generator_open(&lr.gen, s->model, &go, err)) != FR_OK)
        return st;
    lr.gray = malloc((size_t)lr.size * lr.size);
    lr.progress = fr_progress_new(stderr);
    if (!lr.gray || !lr.progress) {
        st = fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((st = fr_renderer_new(&lr.render, lr.size, err)) != FR_OK)
        goto done;
    fr_remux_opts ro = {.codec = codec, .chroma_size = lr.size, .chroma = local_chroma,
                        .chroma_ctx = &lr, .progress = local_progress, .progress_ctx = &lr};
    st = fr_remux(s->input, s->output, &ro, err);
    if (st == FR_OK) {
        fr_progress_event ev = {"colorize", lr.done, lr.done, 0, 0};
        fr_progress_done(lr.progress, &ev);
    }
done:
    fr_renderer_free(lr.render);
    fr_progress_free(lr.progress);
    free(lr.gray);
    fr_generator_free(lr.gen);
    return st;
}

/* One rank of an MPI job: the coordinator (rank 0) or a node. */
static int run_rank(int argc, char **argv, const fr_run_settings *s)
{
    fr_err err = {0};
    fr_wire *w = NULL;
    fr_status st = fr_wire_init(&w, &argc, &argv, &err);
    if (st != FR_OK) {
        fr_cli_error("%s", err.msg);
        return 1;
    }
    int rank = fr_wire_rank(w);
    if (rank == 0)
        st = fr_pipeline_coordinator(w, s, &err);
    else
        st = fr_node_main(w, &err);
    fr_err ferr;
    fr_wire_finalize(w, &ferr);
    if (rank != 0) /* a node's error went to the coordinator, which reports it */
        return 0;
    int code = fr_status_exit_code(st);
    fr_launch_report(code, st == FR_OK ? "" : err.msg);
    if (st != FR_OK) {
        if (!getenv("FILMRESTORE_STATUS_FILE"))
            fr_cli_error("%s", err.msg);
        return getenv("FILMRESTORE_STATUS_FILE") ? 0 : code;
    }
    fr_info("coordinator", "wrote %s", s->output);
    return 0;
}

int fr_cmd_run(int argc, char **argv)
{
    fr_run_settings s;
    fr_run_settings_defaults(&s);
    fr_err err = {0};
    /* getopt_long permutes argv; mpirun gets the command line as the user typed it. */
    char **orig = malloc(sizeof *orig * (size_t)(argc + 1));
    if (!orig)
        return 1;
    memcpy(orig, argv, sizeof *orig * (size_t)(argc + 1));
    fr_status st = fr_run_settings_parse(&s, argc, argv, &err);
    int rc = 0;
    if (st == FR_EOF) {
        printf("usage: filmrestore run INPUT -o OUTPUT [options]\n\n"
               "Colourises INPUT on MPI ranks and writes OUTPUT with the source's own luma, audio\n"
               "and subtitles. The HDF5 store is the checkpoint: run the same command again to\n"
               "resume. Under mpirun, srun or inside a SLURM allocation the allocation's ranks are\n"
               "used; otherwise mpirun is started with --ranks node ranks plus the coordinator.\n\n");
        fr_run_settings_help(stdout);
    } else if (st != FR_OK) {
        fr_cli_error("%s", err.msg);
        rc = fr_status_exit_code(st);
    } else if (fr_wire_launched()) {
        rc = run_rank(argc, argv, &s);
    } else if (s.ranks > 0) {
        char store[1100], log[1200];
        fr_pipeline_store_path(&s, store, sizeof store);
        snprintf(log, sizeof log, "%s.mpirun.log", store);
        rc = fr_launch_mpirun(argc, orig, s.ranks, log);
    } else if ((st = run_local(&s, &err)) != FR_OK) {
        fr_cli_error("%s", err.msg);
        rc = fr_status_exit_code(st);
    } else {
        fr_info("coordinator", "wrote %s", s.output);
    }
    free(orig);
    return rc;
}
