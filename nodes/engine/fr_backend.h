/* fr_backend.h: the compute backend table (ggml-backend style).
 *
 * The engine's graph (fr_graph.h) is backend-neutral; a backend is a struct of function
 * pointers plus a context, and implements every op kind for one device. The CPU backend
 * (backend_cpu*.c, oneDNN + OpenBLAS) is always built; a cuDNN backend plugs in by filling
 * the same table, without touching the engine or its callers. fr_backend_open() is the one
 * registry: it maps a name ("cpu", "cuda", NULL = best available) to a backend.
 *
 * Lifecycle, per input size ("plan"): alloc() the arena, prepare() every node (the
 * backend converts weights to its own format on the first plan that needs them and may
 * free fr_convw.w), plan_done(), then run() nodes frame after frame; unprepare() every
 * node and release() the arena when the size changes or the engine closes. */
#ifndef FR_BACKEND_H
#define FR_BACKEND_H

#include "fr_graph.h"

typedef struct {
    const char *name;
    void *(*alloc)(void *ctx, size_t bytes);
    void (*release)(void *ctx, void *p);
    fr_status (*prepare)(void *ctx, fr_graph *g, fr_node *n, fr_err *err);
    fr_status (*plan_done)(void *ctx, fr_graph *g, fr_err *err); /* may be NULL */
    /* frame_in is read by INPUT nodes (NCHW float), frame_out written by OUTPUT nodes */
    fr_status (*run)(void *ctx, fr_graph *g, fr_node *n, const float *frame_in, float *frame_out,
                     fr_err *err);
    void (*unprepare)(void *ctx, fr_node *n);
    void (*weights_free)(void *ctx, fr_convw *w); /* the backend's form of one conv's weights */
    void (*free)(void *ctx);
} fr_backend_ops;

typedef struct {
    const fr_backend_ops *ops;
    void *ctx;
} fr_backend;

/* name: "cpu", "cuda", or NULL/"auto" for the best one built and usable here.
 * threads: compute threads (>= 1). */
fr_status fr_backend_open(fr_backend *b, const char *name, int threads, fr_err *err);
void fr_backend_close(fr_backend *b);

/* The CPU backend (backend_cpu.c). */
fr_status fr_backend_cpu_new(fr_backend *b, int threads, fr_err *err);

#endif
