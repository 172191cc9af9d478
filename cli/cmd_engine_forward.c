/* cmd_engine_forward.c: `filmrestore engine_forward`, the engine's raw test entry point.
 *
 * Runs the network alone, on raw float32 NCHW frames (already normalised) and writes its
 * raw float32 output, so tests and benches compare it with the PyTorch reference
 * (tools/frnet.py) without any pre- or post-processing in between. Also reports load and
 * run times (--stats: one JSON line on stdout). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "fr_backend.h"
#include "fr_engine.h"
#include "fr_model.h"

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

static void usage(FILE *f)
{
    fprintf(f, "usage: filmrestore engine_forward --model M.h5 --size S [--input IN.f32] [--output OUT.f32]\n"
               "         [--frames N] [--batch B] [--threads T] [--backend cpu|cuda] [--repeat R] [--stats]\n"
               "         [--plan-only]   (plan and prepare every layer for --batch frames, run nothing)\n"
               "  IN.f32: N x 3 x S x S float32 (normalised), OUT.f32: N x C x S x S float32.\n"
               "  Without --input, N frames of a fixed pattern are used (for timing).\n");
}

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

int fr_cmd_engine_forward(int argc, char **argv)
{
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'}, {"input", required_argument, 0, 'i'},
        {"output", required_argument, 0, 'o'}, {"size", required_argument, 0, 's'},
        {"frames", required_argument, 0, 'n'}, {"threads", required_argument, 0, 't'},
        {"backend", required_argument, 0, 'b'}, {"repeat", required_argument, 0, 'r'},
        {"batch", required_argument, 0, 'B'},  {"plan-only", no_argument, 0, 'P'},
        {"stats", no_argument, 0, 'S'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *model = NULL, *input = NULL, *output = NULL, *backend = "cpu";
    long size = 0, frames = 0, threads = 1, repeat = 1, batch = 1;
    int stats = 0, plan_only = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'i': input = optarg; break;
        case 'o': output = optarg; break;
        case 'b': backend = optarg; break;
        case 'S': stats = 1; break;
        case 'P': plan_only = 1; break;
        case 's': if (!fr_cli_parse_int("size", optarg, 32, 8192, &size)) return 2; break;
        case 'n': if (!fr_cli_parse_int("frames", optarg, 1, 100000, &frames)) return 2; break;
        case 't': if (!fr_cli_parse_int("threads", optarg, 1, 1024, &threads)) return 2; break;
        case 'r': if (!fr_cli_parse_int("repeat", optarg, 1, 100000, &repeat)) return 2; break;
        case 'B': if (!fr_cli_parse_int("batch", optarg, 1, 4096, &batch)) return 2; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!model || !size || optind != argc) {
        usage(stderr);
        return 2;
    }
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
                         .winograd = -1};
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
