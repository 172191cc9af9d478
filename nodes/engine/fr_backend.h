/* fr_backend.h: the compute backend table (ggml-backend style).
 *
 * The engine's graph (fr_graph.h) is backend-neutral; a backend is a struct of function
 * pointers plus a context, and implements every op kind for one device. One folder per
 * backend: cpu/ (oneDNN + OpenBLAS) is always built; cuda/ (cuDNN, cuBLASLt, small
 * kernels) when the build has FR_HAVE_CUDA (the Makefile's CUDA=1, the default where nvcc
 * is found). Each fills the same table, without touching the engine, the layers or the
 * nodes; backend-only settings (the CPU's Winograd) stay inside the backend. fr_backend_open()
 * is the one registry: it maps a name ("cpu", "cuda", NULL or "auto" = best available)
 * and a device index to a backend.
 *
 * Memory: alloc() returns device memory (host memory on the CPU). The engine moves frames
 * with upload() and download() and waits with synchronize(); run() may be asynchronous.
 * Activations are stored in the backend's act_type; the frames at the graph's edges
 * (g->io_in, g->io_out) are always NCHW f32.
 *
 * Lifecycle, per input size and frame count ("plan"): alloc() the arena and the edge
 * buffers, prepare() every node for g->frames frames (the backend converts weights to its
 * own format on the first plan that needs them and may free fr_convw.w), plan_done(), then
 * run() the nodes in order, batch after batch; unprepare() every node before another frame
 * count is prepared, and release() the arena when the size changes or the engine closes. */
#ifndef FR_BACKEND_H
#define FR_BACKEND_H

#include "fr_graph.h"

typedef struct {
    const char *name;
    fr_dtype act_type; /* element type of activations */
    void *(*alloc)(void *ctx, size_t bytes);
    void (*release)(void *ctx, void *p);
    fr_status (*upload)(void *ctx, void *dev, const void *host, size_t bytes, fr_err *err);
    fr_status (*download)(void *ctx, void *host, const void *dev, size_t bytes, fr_err *err);
    fr_status (*synchronize)(void *ctx, fr_err *err);
    fr_status (*prepare)(void *ctx, fr_graph *g, fr_node *n, fr_err *err);
    fr_status (*plan_done)(void *ctx, fr_graph *g, fr_err *err); /* may be NULL */
    fr_status (*run)(void *ctx, fr_graph *g, fr_node *n, fr_err *err);
    void (*unprepare)(void *ctx, fr_node *n);
    void (*weights_free)(void *ctx, fr_convw *w); /* the backend's form of one conv's weights */
    /* The numerics that decide the output's bits, e.g. "cpu fp32 direct": recorded in the
     * store's identity so a store is never resumed on other numerics. */
    void (*numerics)(void *ctx, char *buf, size_t len);
    void (*free)(void *ctx);
} fr_backend_ops;

typedef struct {
    const fr_backend_ops *ops;
    void *ctx;
} fr_backend;

/* What a backend is opened with. */
typedef struct {
    const char *name;      /* "cpu", "cuda", or NULL/"auto" for the best one usable here */
    int threads;           /* compute threads (>= 1) */
    int device;            /* device index: a node passes its local rank; a backend takes
                              it modulo its visible devices */
    const char *precision; /* "fp32", "fp16", "bf16"; NULL = the backend's default */
    int winograd;          /* CPU: 1 = Winograd 3x3 convolutions, 0 = direct only,
                              -1 = FR_ENGINE_WINOGRAD (default off) */
} fr_backend_opts;

fr_status fr_backend_open(fr_backend *b, const fr_backend_opts *o, fr_err *err);
void fr_backend_close(fr_backend *b);

/* The names of the backends this build has and this machine can run, best first; returns
 * how many (at most max). Tests loop over these. */
int fr_backend_usable(const char **names, int max);

/* The CPU backend (cpu/backend_cpu.c), and the instruction set oneDNN's kernels use here
 * ("avx2", "avx512_core", ...; ONEDNN_MAX_CPU_ISA caps it). */
fr_status fr_backend_cpu_new(fr_backend *b, const fr_backend_opts *o, fr_err *err);
const char *fr_backend_cpu_isa(void);
/* This CPU's level for oneDNN (cpuid, capped by ONEDNN_MAX_CPU_ISA), without fixing
 * oneDNN's own: what a node reports before the run's cap is set. */
const char *fr_backend_cpu_native_isa(void);
/* Caps oneDNN at that instruction set (a name as fr_backend_cpu_isa gives), before any
 * kernel is made: every node of a run computes at the level they all have, so a frame's
 * bytes do not depend on which node's CPU colourised it. Fails on a CPU below it. */
fr_status fr_backend_cpu_cap_isa(const char *name, fr_err *err);
/* 1 when a CPU at `have` can run kernels made for `level`. */
int fr_backend_isa_supports(const char *have, const char *level);
/* The highest level all n CPUs run (names as above), or NULL when one is unknown. */
const char *fr_backend_isa_common(const char *const *names, int n);
/* 1 when oneDNN has bf16 kernels at this ISA (AVX512_CORE_BF16 or AMX). */
int fr_backend_cpu_has_bf16(void);

/* The CUDA backend (cuda/backend_cuda.c; only with FR_HAVE_CUDA). fr_backend_cuda_devices()
 * returns the visible devices, or 0 with the reason in why (no driver, no device). */
fr_status fr_backend_cuda_new(fr_backend *b, const fr_backend_opts *o, fr_err *err);
int fr_backend_cuda_devices(char *why, size_t len);

/* 1 when this build has the CUDA backend. */
int fr_backend_cuda_built(void);

/* The node's device index from its launcher: OMPI_COMM_WORLD_LOCAL_RANK, SLURM_LOCALID,
 * PMI_LOCAL_RANK or MPI_LOCALRANKID, else 0. */
int fr_backend_local_rank(void);

#endif
