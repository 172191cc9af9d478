/* cmd_engine_forward.c: `filmrestore engine_forward`, the engine's raw test entry point.
 *
 * Runs the network alone, on raw float32 NCHW frames (already normalised) and writes its
 * raw float32 output, so tests and benches compare it with the PyTorch reference
 * (tools/frnet.py) without any pre- or post-processing in between. Also reports load and
 * run times (--stats: one JSON line on stdout). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "fr_backend.h"
#include "fr_engine.h"
#include "fr_model.h"
#include "fr_opts.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* Peak RSS of this process image in MB (VmHWM; getrusage's ru_maxrss would also count
 * the parent's image before exec, e.g. a Python bench's). */
static double peak_rss_mb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6))
            kb = atof(line + 6);
    if (f)
        fclose(f);
    return kb / 1024.0;
}

#define USAGE                                                                                 \
    "usage: filmrestore engine_forward --model M.h5 --size S [OPTIONS]\n"                        \
    "  IN.f32: N x 3 x S x S float32 (normalised), OUT.f32: N x C x S x S float32.\n"            \
    "  Without --input, N frames of a fixed pattern are used (for timing).\n\n"

static int read_input(const char *path, int size, long *frames, float **out)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fr_cli_error("--input: cannot open %s", path);
        return 0;
    }
    fseek(f, 0, SEEK_END);
    long bytes = ftell(f);
    fseek(f, 0, SEEK_SET);
    long per = 3L * size * size * (long)sizeof(float);
    if (*frames <= 0)
        *frames = bytes / per;
    if (*frames <= 0 || bytes != *frames * per) {
        fr_cli_error("--input: %s holds %ld bytes, not %ld frames of 3x%dx%d float32", path, bytes,
                     *frames, size, size);
        fclose(f);
        return 0;
    }
    *out = malloc((size_t)bytes);
    int ok = *out && fread(*out, 1, (size_t)bytes, f) == (size_t)bytes;
    fclose(f);
    if (!ok)
        fr_cli_error("--input: cannot read %s", path);
    return ok;
}

typedef struct {
    const char *model, *input, *output, *backend, *precision;
    long size, frames, threads, repeat, batch, plan_only, stats;
} forward_args;

#define A(f) offsetof(forward_args, f)
static const fr_opt forward_rows[] = {
    {"model", 0, FR_OPT_STRING, A(model), NULL, 0, 0, "model file (required)"},
    {"size", 0, FR_OPT_LONG, A(size), NULL, 32, 8192, "input side in pixels (required)"},
    {"input", 0, FR_OPT_STRING, A(input), NULL, 0, 0, "N x 3 x S x S float32 frames, normalised"},
    {"output", 0, FR_OPT_STRING, A(output), NULL, 0, 0, "write N x C x S x S float32 there"},
    {"frames", 0, FR_OPT_LONG, A(frames), NULL, 1, 100000, "frames (default: those in --input, else 1)"},
    {"batch", 0, FR_OPT_LONG, A(batch), "1", 1, 4096, "frames per engine call"},
    {"threads", 0, FR_OPT_LONG, A(threads), "1", 1, 1024, "compute threads"},
    {"backend", 0, FR_OPT_STRING, A(backend), "cpu", 0, 0, "auto, cpu or cuda"},
    {"precision", 0, FR_OPT_STRING, A(precision), NULL, 0, 0, "fp32, fp16 or bf16 (default: the backend's)"},
    {"repeat", 0, FR_OPT_LONG, A(repeat), "1", 1, 100000, "run the frames this many times (timing)"},
    {"stats", 0, FR_OPT_FLAG, A(stats), NULL, 0, 1, "print load and run times as one JSON line"},
    {"plan-only", 0, FR_OPT_FLAG, A(plan_only), NULL, 0, 1, "plan and prepare every layer for --batch frames, run nothing"},
};
static const fr_opt_group forward_group = {forward_rows, sizeof forward_rows / sizeof forward_rows[0], 0, NULL};

int fr_cmd_engine_forward(int argc, char **argv)
{
    forward_args a;
    memset(&a, 0, sizeof a);
    fr_opts_defaults(&forward_group, 1, &a);
    char *pos[1];
    int npos = 0;
    int rc = fr_opts_command(&forward_group, 1, &a, USAGE, argc, argv, pos, 0, &npos);
    if (rc >= 0)
        return rc;
    if (!a.model || !a.size) {
        fr_cli_error("engine_forward: give --model and --size");
        return 2;
    }
    const char *model = a.model, *input = a.input, *output = a.output, *backend = a.backend;
    long size = a.size, frames = a.frames, threads = a.threads, repeat = a.repeat, batch = a.batch;
    int stats = (int)a.stats, plan_only = (int)a.plan_only;
    float *in = NULL, *out = NULL;
    if (input) {
        if (!read_input(input, (int)size, &frames, &in))
            return 1;
    } else {
        if (frames <= 0)
            frames = 1;
        size_t k = (size_t)frames * 3 * size * size;
        in = malloc(k * sizeof *in);
        for (size_t i = 0; in && i < k; i++)
            in[i] = (float)((i * 7919) % 1000) / 500.0f - 1.0f;
    }
    fr_err err = {0};
    fr_model *m = NULL;
    fr_engine *e = NULL;
    double t0 = now();
    fr_status st = in ? fr_model_open(&m, model, &err) : fr_err_set(&err, FR_ERR_NOMEM, "out of memory");
    fr_engine_opts eo = {.threads = (int)threads, .backend = backend, .size = (int)size, .batch = (int)batch,
                         .precision = a.precision, .winograd = -1};
    if (st == FR_OK)
        st = fr_engine_new(&e, m, &eo, &err);
    fr_model_free(m);
    double t1 = now(), t2 = t1;
    if (st == FR_OK) {
        int oc = fr_engine_info(e)->n_classes;
        out = malloc((size_t)frames * oc * size * size * sizeof *out);
        if (!out)
            st = fr_err_set(&err, FR_ERR_NOMEM, "out of memory");
        for (long r = 0; st == FR_OK && !plan_only && r < repeat; r++)
            st = fr_engine_forward(e, in, (int)frames, (int)size, out, &err);
        t2 = now();
        if (st == FR_OK && output && !plan_only) {
            FILE *f = fopen(output, "wb");
            size_t k = (size_t)frames * oc * size * size;
            if (!f || fwrite(out, sizeof *out, k, f) != k)
                st = fr_err_set(&err, FR_ERR_IO, "--output: cannot write %s", output);
            if (f && fclose(f))
                st = fr_err_set(&err, FR_ERR_IO, "--output: cannot write %s", output);
        }
    }
    if (st == FR_OK && stats) {
        double secs = t2 - t1, n = (double)frames * repeat;
        printf("{\"model\":\"%s\",\"size\":%ld,\"threads\":%ld,\"frames\":%.0f,\"load_s\":%.3f,"
               "\"run_s\":%.3f,\"fps\":%.4f,\"gflop_per_frame\":%.3f,\"gflops\":%.1f,"
               "\"arena_mb\":%.1f,\"peak_rss_mb\":%.1f,\"batch\":%d,\"numerics\":\"%s\",\"isa\":\"%s\"}\n",
               fr_engine_info(e)->name, size, threads, n, t1 - t0, secs, n / secs,
               fr_engine_flops(e) / 1e9, fr_engine_flops(e) * n / secs / 1e9,
               fr_engine_arena_bytes(e) / 1048576.0, peak_rss_mb(), fr_engine_batch(e), fr_engine_numerics(e),
               fr_backend_cpu_isa());
    }
    fr_engine_free(e);
    free(in);
    free(out);
    if (st != FR_OK) {
        fr_cli_error("%s", err.msg);
        return fr_status_exit_code(st);
    }
    return 0;
}
