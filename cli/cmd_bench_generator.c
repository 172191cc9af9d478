/* cmd_bench_generator.c: `filmrestore bench_generator`: the generator alone.
 *
 * Opens a generator as a node would, colourises --frames synthetic gray
 * frames (a deterministic gradient with noise) in batches, and prints one line
 * "frames=N seconds=S fps=F" on stdout. bench/pipeline compares this with a
 * whole run on the same number of ranks and threads. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "fr_backend.h"
#include "fr_opts.h"
#include "fr_generator.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct {
    const char *model;
    long render_factor, frames, batch, threads;
} bench_args;

#define A(f) offsetof(bench_args, f)
static const fr_opt bench_rows[] = {
    {"model", 'm', FR_OPT_STRING, A(model), "default", 0, 0, "model name or file"},
    {"render-factor", 'r', FR_OPT_LONG, A(render_factor), "21", 4, 128, "the model sees render-factor x 16 pixels"},
    {"frames", 'f', FR_OPT_LONG, A(frames), "32", 1, 1000000, "frames to colourise"},
    {"batch", 'b', FR_OPT_LONG, A(batch), "16", 1, 4096, "frames per call"},
    {"threads", 't', FR_OPT_LONG, A(threads), "1", 0, 256, "compute threads"},
};
static const fr_opt_group bench_group = {bench_rows, sizeof bench_rows / sizeof bench_rows[0], 0, NULL};

int fr_cmd_bench_generator(int argc, char **argv)
{
    bench_args a;
    memset(&a, 0, sizeof a);
    fr_opts_defaults(&bench_group, 1, &a);
    char *pos[1];
    int npos = 0;
    int rc = fr_opts_command(&bench_group, 1, &a, "usage: filmrestore bench_generator [OPTIONS]\n\n", argc, argv, pos,
                             0, &npos);
    if (rc >= 0)
        return rc;
    fr_err err = {0};
    const char *model = a.model;
    long rf = a.render_factor, frames = a.frames, batch = a.batch, threads = a.threads;
    int size = (int)rf * 16;
    fr_generator *g = NULL;
    fr_generator_opts go = {.threads = (int)threads, .batch = (int)batch, .size = size, .winograd = -1};
    if (fr_generator_open(&g, model, &go, &err) != FR_OK) {
        fr_cli_error("%s", err.msg);
        return 1;
    }
    size_t plane = (size_t)size * size;
    uint8_t *gray = malloc(plane * (size_t)batch), *chroma = malloc(plane * 2 * (size_t)batch);
    if (!gray || !chroma) {
        fr_cli_error("out of memory");
        return 1;
    }
    unsigned seed = 1;
    for (size_t i = 0; i < plane * (size_t)batch; i++) {
        seed = seed * 1103515245u + 12345u;
        gray[i] = (uint8_t)((i % (size_t)size) * 255 / (size_t)size / 2 + (seed >> 24) / 2);
    }
    fr_status st = fr_generator_colorize(g, gray, 1, size, chroma, &err); /* warm-up */
    double t0 = now();
    for (long done = 0; st == FR_OK && done < frames; done += batch) {
        int n = (int)(frames - done < batch ? frames - done : batch);
        st = fr_generator_colorize(g, gray, n, size, chroma, &err);
    }
    double secs = now() - t0;
    if (st == FR_OK)
        printf("frames=%ld seconds=%.3f fps=%.3f batch=%ld numerics=%s isa=%s\n", frames, secs, frames / secs,
               batch, fr_generator_numerics(g), fr_backend_cpu_isa());
    else
        fr_cli_error("%s", err.msg);
    free(gray);
    free(chroma);
    fr_generator_free(g);
    return st == FR_OK ? 0 : 1;
}
