/* fr_engine_impl.h: the engine's internals shared by fr_engine.c, fr_weights.c and the
 * network builders (net_*.c). */
#ifndef FR_ENGINE_IMPL_H
#define FR_ENGINE_IMPL_H

#include "fr_backend.h"
#include "fr_engine.h"
#include "fr_graph.h"

struct fr_engine {
    fr_model_info info;
    fr_backend be;
    int threads;
    fr_model *m;          /* only while the first graph is emitted */
    fr_convw **cw;        /* every weight object, created on first request */
    int ncw, cap_cw;
    fr_affine **af;
    int naf, cap_af;
    fr_graph *g;          /* the current plan */
    void *arena, *io_in, *io_out; /* backend memory for g */
    void *io_in2;                 /* the next batch's frames, uploaded while this one runs */
    int want_batch;       /* the batch asked for; the plan may hold fewer (memory) */
    size_t memory_cap;    /* bytes of activations a plan may take */
    char numerics[64];
    int profile;          /* FR_ENGINE_PROFILE: 1 times each op kind, 2 also each layer */
    double op_seconds[FR_OP_COUNT];
    double *node_seconds; /* profile 2: per node of the current plan */
    int n_node_seconds;
};

/* Weight loaders: the first call takes the tensors out of e->m and folds them; later
 * calls (other input sizes) return the same object. On error they record it in g and
 * return NULL (the emitters then propagate it).
 *   conv:      "<name>.weight" [oc, ic/groups, kh, kw]; depthwise: groups = oc
 *   fold_bn:   a batch norm right after the conv, folded into its weights and bias
 *   post_bn:   a batch norm after the conv's activation, applied as a post-op
 *   bias:      "<name>.bias" [oc] */
fr_convw *fr_w_conv(fr_engine *e, fr_graph *g, const char *name, int depthwise, const char *fold_bn,
                    const char *post_bn, int bias);
/* Self-attention "<name>.{query,key,value}.weight", "<name>.gamma", as one projection. */
fr_convw *fr_w_attention(fr_engine *e, fr_graph *g, const char *name);
fr_affine *fr_w_affine(fr_engine *e, fr_graph *g, const char *name);
/* Permutes a conv feeding a pixel shuffle from PyTorch's channel order 4c + 2i + j to
 * (2i + j) C + c, so the shuffle reads each sub-pixel's channels contiguously. Once. */
void fr_w_shuffle_order(fr_graph *g, fr_convw *w);

/* Encoders: emit from input value x; fill taps[] (shallow to deep, /2 /4 /8 /16) and
 * return the encoder's output value (/32). */
int fr_net_resnet(fr_engine *e, fr_graph *g, int x, int *taps, int *ntaps);
int fr_net_mobilenet(fr_engine *e, fr_graph *g, int x, int *taps, int *ntaps);
/* The whole U-Net for input side g->size. */
void fr_net_unet(fr_engine *e, fr_graph *g);

#endif
