/* generator.c: opens a generator by spec and dispatches to its implementation.
 *
 * Built-in generators live here because they are a few lines each:
 *   gray  zero chroma: the output is the source's own luma, uncoloured;
 *   tint  chroma is a fixed, deterministic function of each gray value, so
 *         tests can check that chroma travels intact through MPI, the store
 *         and the encoder without running a network.
 * Model files go to generator_model.c (the inference engine). */
#include "generator_impl.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static fr_status gray_colorize(void *ctx, const uint8_t *gray, int n, int size, uint8_t *chroma,
                               fr_err *err)
{
    (void)ctx;
    (void)gray;
    (void)err;
    memset(chroma, 128, (size_t)n * size * size * 2);
    return FR_OK;
}

static fr_status tint_colorize(void *ctx, const uint8_t *gray, int n, int size, uint8_t *chroma,
                               fr_err *err)
{
    (void)ctx;
    (void)err;
    size_t px = (size_t)n * size * size;
    for (size_t i = 0; i < px; i++) {
        int g = gray[i];
        /* dark tones toward blue, light tones toward warm orange */
        chroma[2 * i] = (uint8_t)(160 - g / 4);
        chroma[2 * i + 1] = (uint8_t)(96 + g / 4);
    }
    return FR_OK;
}

static const fr_generator_ops gray_ops = {gray_colorize, NULL};
static const fr_generator_ops tint_ops = {tint_colorize, NULL};

/* The embedded model: $FILMRESTORE_MODEL_DIR/default.h5, else models/default.h5
 * beside the build directory of the running binary, else the install location. */
static int find_default_model(char *path, size_t len)
{
    const char *dir = getenv("FILMRESTORE_MODEL_DIR");
    if (dir) {
        snprintf(path, len, "%s/default.h5", dir);
        return access(path, R_OK) == 0;
    }
    char exe[PATH_MAX];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (k > 0) {
        exe[k] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            snprintf(path, len, "%s/../models/default.h5", exe);
            if (access(path, R_OK) == 0)
                return 1;
            snprintf(path, len, "%s/../share/filmrestore/default.h5", exe);
            if (access(path, R_OK) == 0)
                return 1;
        }
    }
    return 0;
}

fr_status fr_generator_open(fr_generator **out, const char *spec, const fr_generator_opts *opts,
                            fr_err *err)
{
    *out = NULL;
    fr_generator *g = calloc(1, sizeof *g);
    if (!g)
        return fr_err_set(err, FR_ERR_NOMEM, "generator: out of memory");
    fr_status st = FR_OK;
    snprintf(g->numerics, sizeof g->numerics, "exact");
    if (!strcmp(spec, "gray")) {
        g->ops = &gray_ops;
        snprintf(g->name, sizeof g->name, "gray");
    } else if (!strcmp(spec, "tint")) {
        g->ops = &tint_ops;
        snprintf(g->name, sizeof g->name, "tint");
    } else {
        char path[PATH_MAX + 32];
        if (!strcmp(spec, "default")) {
            if (!find_default_model(path, sizeof path)) {
                free(g);
                return fr_err_set(err, FR_ERR_MODEL,
                                  "default model: models/default.h5 not found (set FILMRESTORE_MODEL_DIR)");
            }
        } else {
            snprintf(path, sizeof path, "%s", spec);
        }
        st = fr_generator_open_model(g, path, opts, err);
    }
    if (st != FR_OK) {
        free(g);
        return st;
    }
    *out = g;
    return FR_OK;
}

const char *fr_generator_name(const fr_generator *g) { return g->name; }
const char *fr_generator_hash(const fr_generator *g) { return g->hash; }
const char *fr_generator_numerics(const fr_generator *g) { return g->numerics; }

fr_status fr_generator_colorize(fr_generator *g, const uint8_t *gray, int n, int size,
                                uint8_t *chroma, fr_err *err)
{
    if (n <= 0 || size <= 0)
        return fr_err_set(err, FR_ERR_ARG, "generator: empty batch (%d frames of %d px)", n, size);
    return g->ops->colorize(g->ctx, gray, n, size, chroma, err);
}

void fr_generator_free(fr_generator *g)
{
    if (!g)
        return;
    if (g->ops && g->ops->free)
        g->ops->free(g->ctx);
    free(g);
}
