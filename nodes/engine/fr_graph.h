/* fr_graph.h: the engine's network graph for one input size, and its memory plan.
 *
 * A graph is a list of nodes run in order, over values (activations: a batch of frames,
 * each NHWC, in the backend's element type). Builders (net_*.c) emit nodes for a given
 * input size; weights live in
 * fr_convw / fr_affine objects owned by the engine and shared by every plan, so a new
 * input size re-emits the graph but never reloads or copies weights.
 *
 * Storage: a value either owns storage (a "root"), is a channel slice of another value
 * (`parent`: how concatenations are built without copies), or takes over the storage of
 * a value that dies at its producer (`alias`: in-place residual sums). fr_graph_plan()
 * gives every root an offset in one arena by first-fit over the roots' lifetimes, so the
 * activations of a whole batch need one allocation, made once per input size. A root holds
 * `batch` frames, one after another; every op runs the first `frames` of them. */
#ifndef FR_GRAPH_H
#define FR_GRAPH_H

#include <stddef.h>

#include "fr_status.h"

/* Element types of values. The CPU backend computes in f32; a GPU backend may store f16
 * or bf16 (fr_backend_ops.act_type). */
typedef enum { FR_F32, FR_F16, FR_BF16 } fr_dtype;

size_t fr_dtype_size(fr_dtype t);

typedef enum {
    FR_OP_INPUT,     /* NCHW frames (g->io_in) -> out */
    FR_OP_CONV,      /* out (+)= post(act(conv(in) + bias)) */
    FR_OP_MAXPOOL,   /* 3x3, stride 2, pad 1 */
    FR_OP_AFFINE,    /* out = act(in * scale + shift), per channel */
    FR_OP_SHUFFLE,   /* out = resize_nearest(blur(pixel_shuffle_x2(in))); in's channels are
                        sub-pixel major: channel (2i + j) * C + c is output channel c at
                        offset (i, j) (fr_w_shuffle_order() permutes the conv before) */
    FR_OP_ATTENTION, /* in-place: out(=in) += gamma * SAGAN(in) */
    FR_OP_COPY,      /* out = in (channel slices allowed) */
    FR_OP_OUTPUT,    /* in -> NCHW frames (g->io_out) */
    FR_OP_COUNT
} fr_op;

typedef enum { FR_ACT_NONE, FR_ACT_RELU, FR_ACT_RELU6, FR_ACT_SIGMOID_RANGE } fr_act;

/* Convolution weights, loaded once (folded batch norms included). */
typedef struct fr_convw {
    char name[96];
    int oc, ic, kh, kw, groups; /* ic: input channels in all (ic/groups per group) */
    float *w;                   /* [oc][ic/groups][kh][kw]; NULL once the backend holds it */
    float *b;                   /* [oc] or NULL */
    float *post_scale, *post_shift; /* per-channel affine after the activation, or NULL */
    float gamma;                /* attention only: the residual weight */
    int qk;                     /* attention only: channels of the query and key (C/8) */
    int shuffle_order;          /* outputs permuted to sub-pixel major order (done once) */
    void *impl;                 /* the backend's form of the weights */
} fr_convw;

/* A per-channel affine y = act(x * scale + shift). */
typedef struct fr_affine {
    char name[96];
    int c;
    float *scale, *shift;
} fr_affine;

typedef struct {
    int h, w, c;
    fr_dtype type;     /* element type (the backend's, set before planning) */
    int parent, c_off; /* channel slice of `parent` at c_off, or parent = -1 */
    int alias;         /* takes over this value's storage in place, or -1 */
    /* filled by fr_graph_plan */
    int root;          /* value owning the storage */
    int first, last;   /* node indices of first and last touch (roots) */
    size_t offset, bytes;
    void *data;        /* first channel of this value in pixel 0 of frame 0 */
    int ld;            /* elements from one pixel to the next (the root's channels) */
    size_t fstride;    /* elements from one frame to the next (the root's h * w * c) */
} fr_value;

typedef struct {
    fr_op op;
    int in, out;       /* value ids */
    /* conv */
    fr_convw *cw;
    int stride, pad_t, pad_l, pad_b, pad_r;
    int accumulate;    /* conv: add into out's previous contents (out aliases the residual) */
    int accumulate_first; /* conv: the sum happens before the activation (ResNet), not after */
    fr_act act;
    float act_lo, act_hi; /* sigmoid range */
    /* affine */
    fr_affine *af;
    void *impl;        /* backend state for this plan */
} fr_node;

typedef struct {
    fr_value *v;
    int nv, cap_v;
    fr_node *n;
    int nn, cap_n;
    int size;          /* input frame side */
    int in_c, out_c;
    int batch;         /* frames the arena holds (>= 1) */
    int frames;        /* frames the prepared nodes run (1..batch) */
    fr_dtype type;     /* element type of every value */
    size_t arena_bytes;
    void *arena;
    void *io_in, *io_out; /* backend memory: frames NCHW f32 read by INPUT, written by OUTPUT */
    fr_status st;      /* first error while emitting; emitters then return -1 */
    fr_err err;
} fr_graph;

/* A graph for input side `size`, planned for up to `batch` frames of element type `type`. */
fr_graph *fr_graph_new(int size, int batch, fr_dtype type);
void fr_graph_free(fr_graph *g);

/* Emitters: return the new value id, or -1 after recording an error in g->st/g->err.
 * They accept -1 inputs (propagating an earlier error), so builders check once at the end. */
int fr_g_value(fr_graph *g, int h, int w, int c);            /* a root with no producer yet */
int fr_g_slice(fr_graph *g, int parent, int c_off, int c);   /* channel slice of parent */
int fr_g_input(fr_graph *g, int c);
void fr_g_output(fr_graph *g, int x);
/* conv with padding (top, left, bottom, right); acc: value to accumulate into (-1 none),
 * which must die here; acc_first: add before the activation. */
int fr_g_conv(fr_graph *g, int x, fr_convw *cw, int stride, const int pad[4], fr_act act, int acc,
              int acc_first);
/* conv with "same" padding (k-1)/2 on every side. */
int fr_g_conv_same(fr_graph *g, int x, fr_convw *cw, int stride, fr_act act, int acc);
int fr_g_maxpool(fr_graph *g, int x);
/* out: destination value (a slice) or -1 for a new one. */
int fr_g_affine(fr_graph *g, int x, fr_affine *af, fr_act act, int out);
int fr_g_shuffle(fr_graph *g, int x, int out);
int fr_g_attention(fr_graph *g, int x, fr_convw *qkv);
int fr_g_copy(fr_graph *g, int x, int out);

/* Lifetimes, roots and arena offsets; then fr_graph_bind() points values into arena. */
fr_status fr_graph_plan(fr_graph *g, fr_err *err);
void fr_graph_bind(fr_graph *g, void *arena);
/* Element f of value v, frame f at pixel 0 (f32 values). */
float *fr_value_frame(const fr_value *v, int f);

/* FLOPs (2 x multiply-adds) of one frame through the graph's convolutions and attention. */
double fr_graph_flops(const fr_graph *g);

#endif
