/* fr_backend.c: the backend registry: which backends this build has, which this machine
 * can run, the fallback, and the node's device index.
 *
 * This build has one backend, the CPU (backend_cpu*.c): "auto" and "cpu" open it, and
 * "cuda" is refused as not built. No GPU backend exists yet; one would be tried before the
 * CPU under its build flag, the CPU staying last as the fallback, as in ggml's registry. */
#include "fr_backend.h"

#include <stdlib.h>
#include <string.h>

int fr_backend_usable(const char **names, int max)
{
    int n = 0;
    if (n < max)
        names[n++] = "cpu";
    return n;
}

fr_status fr_backend_open(fr_backend *b, const fr_backend_opts *o, fr_err *err)
{
    b->ops = NULL, b->ctx = NULL;
    fr_backend_opts d = {0};
    if (o)
        d = *o;
    if (d.threads < 1)
        d.threads = 1;
    const char *name = d.name;
    if (d.device < 0)
        return fr_err_set(err, FR_ERR_ARG, "backend: device index %d is negative", d.device);
    if (d.precision && strcmp(d.precision, "fp32") && strcmp(d.precision, "fp16") && strcmp(d.precision, "bf16"))
        return fr_err_set(err, FR_ERR_ARG, "precision '%s': unknown (use fp32, fp16 or bf16)", d.precision);
    if (!name || !strcmp(name, "auto") || !strcmp(name, "cpu"))
        return fr_backend_cpu_new(b, &d, err);
    if (!strcmp(name, "cuda"))
        return fr_err_set(err, FR_ERR_BACKEND, "backend 'cuda': not built (this build has only 'cpu')");
    return fr_err_set(err, FR_ERR_ARG, "backend '%s': unknown (use auto, cpu or cuda)", name);
}

void fr_backend_close(fr_backend *b)
{
    if (b && b->ops && b->ops->free)
        b->ops->free(b->ctx);
    if (b)
        b->ops = NULL, b->ctx = NULL;
}

int fr_backend_local_rank(void)
{
    static const char *vars[] = {"OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID", "PMI_LOCAL_RANK",
                                 "MPI_LOCALRANKID"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        const char *v = getenv(vars[i]);
        char *end;
        long r = v && *v ? strtol(v, &end, 10) : -1;
        if (v && *v && !*end && r >= 0 && r < 1 << 20)
            return (int)r;
    }
    return 0;
}
