/* cmd_bench_generator.c: `filmrestore bench_generator`: the generator alone.
 *
 * Opens a generator as a node would, colourises --frames synthetic gray
 * frames (a deterministic gradient with noise) in batches, and prints one line
 * "frames=N seconds=S fps=F" on stdout. bench/pipeline compares this with a
 * whole run on the same number of ranks and threads. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cli.h"
#include "fr_backend.h"
#include "fr_generator.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int fr_cmd_bench_generator(int argc, char **argv)
{
    static const struct option opts[] = {
        {"model", required_argument, NULL, 'm'},   {"render-factor", required_argument, NULL, 'r'},
        {"frames", required_argument, NULL, 'f'},  {"batch", required_argument, NULL, 'b'},
        {"threads", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'},
        {0}};
    const char *model = "default";
    long rf = 21, frames = 32, batch = 16, threads = 1;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:r:f:b:t:h", opts, NULL)) != -1) {
        int ok = 1;
        switch (c) {
        case 'm': model = optarg; break;
        case 'r': ok = fr_cli_parse_int("render-factor", optarg, 4, 128, &rf); break;
        case 'f': ok = fr_cli_parse_int("frames", optarg, 1, 1000000, &frames); break;
        case 'b': ok = fr_cli_parse_int("batch", optarg, 1, 4096, &batch); break;
        case 't': ok = fr_cli_parse_int("threads", optarg, 0, 256, &threads); break;
        case 'h':
            printf("usage: filmrestore bench_generator [--model M] [--render-factor R] [--frames N] [--batch B] [--threads T]\n");
            return 0;
        default: return 2;
        }
        if (!ok)
            return 2;
    }
    int size = (int)rf * 16;
    fr_err err = {0};
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
