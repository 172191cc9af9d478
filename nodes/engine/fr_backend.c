/* fr_backend.c: the backend registry: which backends this build has, and the fallback.
 *
 * Like ggml's registry, the CPU comes last as the fallback; a cuDNN backend would be
 * tried first under a build flag (FR_HAVE_CUDA) when a GPU is visible. */
#include "fr_backend.h"

#include <string.h>

fr_status fr_backend_open(fr_backend *b, const char *name, int threads, fr_err *err)
{
    b->ops = NULL, b->ctx = NULL;
    if (threads < 1)
        threads = 1;
    if (!name || !strcmp(name, "auto") || !strcmp(name, "cpu"))
        return fr_backend_cpu_new(b, threads, err);
    if (!strcmp(name, "cuda"))
        return fr_err_set(err, FR_ERR_BACKEND, "backend 'cuda': not built (this build has only 'cpu')");
    return fr_err_set(err, FR_ERR_ARG, "backend '%s': unknown (use cpu or cuda)", name);
}

void fr_backend_close(fr_backend *b)
{
    if (b && b->ops && b->ops->free)
        b->ops->free(b->ctx);
    if (b)
        b->ops = NULL, b->ctx = NULL;
}
