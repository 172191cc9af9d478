/* fr_backend.c: the backend registry: which backends this build has, which this machine
 * can run, the fallback, and the node's device index.
 *
 * Like ggml's registry, the CPU comes last as the fallback; the CUDA backend is tried
 * first under its build flag (FR_HAVE_CUDA) when a device is visible. "auto" without a
 * usable GPU says so in one log line and takes the CPU; "cuda" without one is an error. */
#include "fr_backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_log.h"

int fr_backend_cuda_built(void)
{
#ifdef FR_HAVE_CUDA
    return 1;
#else
    return 0;
#endif
}

/* Visible CUDA devices (0 without the backend), with the reason when there are none;
 * asked once a process (the driver's answer takes about a second without a GPU). */
static int cuda_devices(char *why, size_t len)
{
#ifdef FR_HAVE_CUDA
    static int n = -1;
    static char reason[160];
    if (n < 0)
        n = fr_backend_cuda_devices(reason, sizeof reason);
    snprintf(why, len, "%s", reason);
    return n;
#else
    snprintf(why, len, "this build has no CUDA backend (built with CUDA=0 or without nvcc)");
    return 0;
#endif
}

int fr_backend_usable(const char **names, int max)
{
    int n = 0;
    char why[160];
    if (n < max && cuda_devices(why, sizeof why) > 0)
        names[n++] = "cuda";
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
    if (name && strcmp(name, "auto") && strcmp(name, "cpu") && strcmp(name, "cuda"))
        return fr_err_set(err, FR_ERR_ARG, "backend '%s': unknown (use auto, cpu or cuda)", name);
    if (name && !strcmp(name, "cpu"))
        return fr_backend_cpu_new(b, &d, err);
    char why[160] = "";
    int gpus = cuda_devices(why, sizeof why);
    if (name && !strcmp(name, "cuda")) {
        if (!fr_backend_cuda_built())
            return fr_err_set(err, FR_ERR_BACKEND, "backend 'cuda': not built (this build has only 'cpu'; "
                              "rebuild where nvcc is, without CUDA=0)");
        if (gpus <= 0)
            return fr_err_set(err, FR_ERR_BACKEND, "backend 'cuda': no usable GPU here (%s)", why);
    }
#ifdef FR_HAVE_CUDA
    if (gpus > 0)
        return fr_backend_cuda_new(b, &d, err);
#endif
    static int said; /* auto: one line a process */
    if (!said++)
        fr_info("engine", "backend auto: no usable GPU (%s); using the cpu", why);
    return fr_backend_cpu_new(b, &d, err);
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
