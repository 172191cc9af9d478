/* backend_cpu.h: private to the CPU backend (backend_cpu*.c, cpu_*.c).
 *
 * Convolutions run on oneDNN with NHWC activations and weights in whatever blocked
 * format oneDNN prefers (reordered once); the attention matmuls on OpenBLAS sgemm; the
 * rest (shuffle, pooling, affines, layout changes) are plain loops parallelised with
 * OpenMP over pixels or rows. Every loop gives each output element to exactly one thread
 * and never splits a reduction, and oneDNN's forward convolutions keep each output's sum
 * within one thread, so results do not depend on the thread count. */
#ifndef FR_BACKEND_CPU_H
#define FR_BACKEND_CPU_H

#include <dnnl.h>

#include "fr_backend.h"

typedef struct {
    int threads;
    dnnl_engine_t eng;
    dnnl_stream_t stream;
    void *scratch;        /* one oneDNN scratchpad shared by all primitives (run in turn) */
    size_t scratch_bytes;
    size_t scratch_need;  /* the largest any prepared primitive asked for */
    int winograd;         /* allow Winograd 3x3 convolutions (FR_ENGINE_WINOGRAD=0 turns off) */
    float *wsrc, *wdst;   /* blocked (nChw16c) staging buffers shared by Winograd convs */
    size_t wsrc_bytes, wdst_bytes, wsrc_need, wdst_need;
} cpu_ctx;

/* The oneDNN form of one convolution's weights, kept across plans. */
typedef struct {
    dnnl_memory_desc_t wmd;
    dnnl_memory_t w, b, scale, shift;
    int wino;             /* decided on the first plan, kept for later sizes */
} cpu_weights;

typedef struct {
    dnnl_primitive_t prim;
    dnnl_memory_t src, dst, scratch;
    int n_binary;         /* post-op binary arguments (scale, shift) */
    int scale_idx, shift_idx;
    fr_convw *cw;
    /* Winograd: NHWC src -> (reorder) blocked -> conv -> blocked dst -> (epilogue) NHWC */
    int wino;
    dnnl_primitive_t to_blocked;
    dnnl_memory_t nhwc_src, bsrc, bdst;
    size_t bsrc_bytes, bdst_bytes;
    float *out;           /* NHWC destination of the epilogue */
    int oh, ow;
    fr_act act;
    float act_lo, act_hi;
    int accumulate, accumulate_first;
} cpu_conv;

/* A convolution over dense NHWC buffers, described independently of graph nodes so the
 * attention layer can reuse it for its projections. */
typedef struct {
    fr_convw *cw;
    int h, w, oh, ow;             /* input and output sizes */
    int stride, pad_t, pad_l, pad_b, pad_r;
    fr_act act;
    float act_lo, act_hi;
    int accumulate, accumulate_first;
    float *src, *dst;
} cpu_conv_spec;

fr_status cpu_check(dnnl_status_t s, const char *call, const char *what, fr_err *err);
#define CPU_CHECK(call, what)                                                                      \
    do {                                                                                           \
        fr_status st_ = cpu_check((call), #call, (what), err);                                     \
        if (st_)                                                                                   \
            return st_;                                                                            \
    } while (0)

fr_status cpu_conv_create(cpu_ctx *c, const cpu_conv_spec *s, cpu_conv *out, fr_err *err);
fr_status cpu_conv_exec(cpu_ctx *c, cpu_conv *k, fr_err *err);
void cpu_conv_destroy(cpu_conv *k);
void cpu_weights_free(fr_convw *cw);

fr_status cpu_attention_prepare(cpu_ctx *c, fr_graph *g, fr_node *n, fr_err *err);
fr_status cpu_attention_run(cpu_ctx *c, fr_graph *g, fr_node *n, fr_err *err);
void cpu_attention_unprepare(fr_node *n);

void cpu_shuffle_run(const fr_graph *g, const fr_node *n);
void cpu_maxpool_run(const fr_graph *g, const fr_node *n);
void cpu_affine_run(const fr_graph *g, const fr_node *n);
void cpu_copy_run(const fr_graph *g, const fr_node *n);
void cpu_input_run(const fr_graph *g, const fr_node *n, const float *frame);
void cpu_output_run(const fr_graph *g, const fr_node *n, float *frame);

#endif
