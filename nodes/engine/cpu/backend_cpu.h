/* backend_cpu.h: private to the CPU backend (nodes/engine/cpu/: backend_cpu.c, cpu_*.c).
 *
 * Convolutions run on oneDNN with NHWC activations and weights in whatever blocked
 * format oneDNN prefers (reordered once); the attention matmuls on OpenBLAS sgemm; the
 * rest (shuffle, pooling, affines, layout changes) are plain loops parallelised with
 * OpenMP over pixels or rows. Every loop gives each output element to exactly one thread
 * and never splits a reduction, and oneDNN's forward convolutions keep each output's sum
 * within one thread, so results do not depend on the thread count.
 *
 * A convolution's tail (activation, batch-norm affine, residual sum) is fused into oneDNN
 * as post-ops where a JIT kernel takes it. Where oneDNN would run the fused form on a
 * reference kernel (which ISA takes which tail varies), the tail is split: the conv writes
 * a staging buffer and cpu_conv_tail.c finishes it (docs/models.md gives the rule). */
#ifndef FR_BACKEND_CPU_H
#define FR_BACKEND_CPU_H

#include <dnnl.h>

#include "fr_backend.h"

typedef struct {
    int threads;
    int strict;           /* FR_ENGINE_STRICT=1: a reference kernel is an error */
    dnnl_engine_t eng;
    dnnl_stream_t stream;
    void *scratch;        /* one oneDNN scratchpad shared by all primitives (run in turn) */
    size_t scratch_bytes;
    size_t scratch_need;  /* the largest any prepared primitive asked for */
    int winograd;         /* allow Winograd 3x3 convolutions (FR_ENGINE_WINOGRAD=1) */
    int bf16;             /* --precision bf16: convolutions and matmuls in bf16 with fp32
                             accumulation (oneDNN's fpmath mode; AVX512_CORE_BF16, AMX) */
    int blocked_3x3;      /* run 3x3 convs in oneDNN's blocked layout (ISAs below AVX-512) */
    /* one frame's staging, shared by every staged conv (they run in turn): the conv's
     * blocked source (Winograd) and its destination before the split tail */
    float *stage_src, *stage_dst;
    size_t stage_src_bytes, stage_dst_bytes, stage_src_need, stage_dst_need;
} cpu_ctx;

/* The oneDNN form of one convolution's weights, kept across plans. */
typedef struct {
    dnnl_memory_desc_t wmd;
    dnnl_memory_t w, b, scale, shift;
    int wino;             /* decided on the first plan, kept for later sizes */
} cpu_weights;

/* How much of a conv's tail oneDNN applies; the rest runs in cpu_conv_tail.c. */
typedef enum {
    CPU_TAIL_FUSED,     /* everything as post-ops */
    CPU_TAIL_SPLIT_SUM, /* post-ops up to the trailing residual sum; the sum after */
    CPU_TAIL_SPLIT_ALL, /* bias only; activation, affine and sums after */
    CPU_TAIL_WINOGRAD,  /* as SPLIT_ALL, through nChw16c staging, Winograd algorithm */
    CPU_TAIL_BLOCKED,   /* as SPLIT_ALL, through oneDNN's blocked layout (nChw8c, nChw16c) */
} cpu_tail;

/* The part of a conv's tail done after oneDNN, per frame. */
typedef struct {
    fr_act act;
    float act_lo, act_hi;
    const float *scale, *shift; /* per-channel affine after the activation, or NULL */
    int sum_first, sum_last;    /* add the destination's old contents before / after */
} cpu_tail_ops;

typedef struct {
    dnnl_primitive_t prim;
    dnnl_memory_t src, dst, scratch;
    int scale_idx, shift_idx; /* post-op indices of the affine's binary arguments, or -1 */
    fr_convw *cw;
    cpu_tail tail;
    char impl[64];        /* oneDNN's implementation name, e.g. "brg:avx512_core" */
    int block;            /* channels per block of the staged layout; 0 = NHWC */
    int frames;           /* frames per exec */
    int mb;               /* the primitive's minibatch: frames when fused, else 1 */
    size_t src_fstride, dst_fstride; /* floats from one frame to the next */
    float *src_base, *dst_base;
    size_t stage_bytes;   /* staged tails: one frame of the conv's own output */
    cpu_tail_ops after;
    /* Winograd and blocked: NHWC src -> (reorder) blocked staging -> conv */
    dnnl_primitive_t to_blocked;
    dnnl_memory_t nhwc_src;
    int oh, ow;
} cpu_conv;

/* A convolution over dense NHWC buffers of `frames` frames, described independently of
 * graph nodes so the attention layer can reuse it for its projections. */
typedef struct {
    fr_convw *cw;
    int h, w, oh, ow;             /* input and output sizes */
    int stride, pad_t, pad_l, pad_b, pad_r;
    fr_act act;
    float act_lo, act_hi;
    int accumulate, accumulate_first;
    int frames;                   /* >= 1 */
    float *src, *dst;             /* frame 0; dense frames follow */
} cpu_conv_spec;

fr_status cpu_check(dnnl_status_t s, const char *call, const char *what, fr_err *err);
#define CPU_CHECK(call, what)                                                                      \
    do {                                                                                           \
        fr_status st_ = cpu_check((call), #call, (what), err);                                     \
        if (st_ != FR_OK)                                                                          \
            return st_;                                                                            \
    } while (0)

/* A primitive descriptor's implementation name ("?" if unknown), and whether it is one of
 * oneDNN's reference kernels, which the engine never runs silently (cpu_conv.c). */
const char *cpu_pd_impl(dnnl_primitive_desc_t pd);
int cpu_pd_is_reference(dnnl_primitive_desc_t pd);

/* cpu_weights.c */
void cpu_weights_md(const fr_convw *cw, dnnl_memory_desc_t *md, dnnl_format_tag_t tag);
fr_status cpu_weights_adopt(cpu_ctx *c, fr_convw *cw, const dnnl_memory_desc_t *want, fr_err *err);
fr_status cpu_weights_move(cpu_ctx *c, fr_convw *cw, const dnnl_memory_desc_t *want, fr_err *err);
void cpu_weights_free(fr_convw *cw);

/* cpu_conv.c */
fr_status cpu_conv_create(cpu_ctx *c, const cpu_conv_spec *s, cpu_conv *out, fr_err *err);
fr_status cpu_conv_exec(cpu_ctx *c, cpu_conv *k, fr_err *err);
void cpu_conv_destroy(cpu_conv *k);

/* cpu_conv_tail.c: y = tail(x) for one frame of hw pixels and C channels; x is NHWC when
 * block is 0, else blocked by `block` channels (nChw8c, nChw16c). */
void cpu_tail_run(const cpu_tail_ops *t, const float *x, int block, float *y, long hw, int C);

/* cpu_matmul.c: C = alpha A B (+ C) on strided operands, planned for one thread and run
 * concurrently, one OpenMP thread each (see there). */
typedef struct {
    int m, n, k;
    long lda, ldb, ldc; /* leading dimensions; B is k x n, or stored transposed (b_trans) */
    int b_trans;
    float alpha;
    int accumulate;     /* add into C's previous contents */
} cpu_matmul_shape;

typedef struct {
    dnnl_stream_t stream;
    dnnl_memory_t a, b, d, scratch;
} cpu_matmul_thread;

typedef struct {
    dnnl_primitive_t prim;
    cpu_matmul_thread *t; /* one per thread */
    int nthr;
    void *scratch;
    size_t scratch_bytes; /* per thread */
} cpu_matmul;

/* FR_ERR_BACKEND when oneDNN has only a reference kernel for it. */
fr_status cpu_matmul_create(cpu_ctx *c, cpu_matmul *mm, const cpu_matmul_shape *sh, int nthr, const char *what,
                            fr_err *err);
dnnl_status_t cpu_matmul_run(cpu_matmul *mm, int thread, const float *a, const float *b, float *d);
void cpu_matmul_destroy(cpu_matmul *mm);

fr_status cpu_attention_prepare(cpu_ctx *c, fr_graph *g, fr_node *n, fr_err *err);
fr_status cpu_attention_run(cpu_ctx *c, fr_graph *g, fr_node *n, fr_err *err);
void cpu_attention_unprepare(fr_node *n);

void cpu_shuffle_run(const fr_graph *g, const fr_node *n);
void cpu_maxpool_run(const fr_graph *g, const fr_node *n);
void cpu_affine_run(const fr_graph *g, const fr_node *n);
void cpu_copy_run(const fr_graph *g, const fr_node *n);
void cpu_input_run(const fr_graph *g, const fr_node *n);
void cpu_output_run(const fr_graph *g, const fr_node *n);

#endif
