/* cuda_ops.c: the graph's small ops on the CUDA backend's kernels (cuda_kernels.cu):
 * layout changes at the graph's edges, per-channel affine, max pool, pixel shuffle, copies
 * into channel slices. The affine's scale and shift go to the GPU once, with the node. */
#include <stdio.h>
#include <stdlib.h>

#include "backend_cuda.h"

/* an affine's parameters on the device, made on the node's first run */
typedef struct {
    float *scale, *shift;
} cuda_affine;

static fr_status affine_params(const fr_node *n, cuda_affine **out, fr_err *err)
{
    fr_affine *af = n->af;
    cuda_affine *d = *out;
    if (d)
        return FR_OK;
    d = calloc(1, sizeof *d);
    if (!d)
        return fr_err_set(err, FR_ERR_NOMEM, "cuda: %s: out of memory", af->name);
    *out = d;
    size_t b = (size_t)af->c * sizeof(float);
    CU_RT(cudaMalloc((void **)&d->scale, b), af->name, "per-channel scale");
    CU_RT(cudaMalloc((void **)&d->shift, b), af->name, "per-channel shift");
    CU_RT(cudaMemcpy(d->scale, af->scale, b, cudaMemcpyHostToDevice), af->name, "per-channel scale");
    CU_RT(cudaMemcpy(d->shift, af->shift, b, cudaMemcpyHostToDevice), af->name, "per-channel shift");
    return FR_OK;
}

void cuda_affine_free(fr_node *n)
{
    cuda_affine *d = n->impl;
    if (!d)
        return;
    if (d->scale)
        cudaFree(d->scale);
    if (d->shift)
        cudaFree(d->shift);
    free(d);
    n->impl = NULL;
}

fr_status cuda_op_run(cuda_ctx *c, const fr_graph *g, const fr_node *n, fr_err *err)
{
    static const char *names[FR_OP_COUNT] = {"input", "conv", "maxpool", "affine", "shuffle", "attention", "copy",
                                             "output"};
    const fr_value *x = n->in >= 0 ? &g->v[n->in] : NULL, *o = n->out >= 0 ? &g->v[n->out] : NULL;
    char shape[96] = "";
    const fr_value *sv = o ? o : x;
    if (sv)
        snprintf(shape, sizeof shape, "%d frames of %dx%dx%d", g->frames, sv->h, sv->w, sv->c);
    const char *layer = n->af ? n->af->name : names[n->op];
    cudaError_t e = cudaSuccess;
    fr_status st;
    switch (n->op) {
    case FR_OP_INPUT: e = frk_input(c->compute, g->io_in, cuda_view(o), g->frames); break;
    case FR_OP_OUTPUT: e = frk_output(c->compute, cuda_view(x), g->io_out, g->frames); break;
    case FR_OP_MAXPOOL: e = frk_maxpool(c->compute, cuda_view(x), cuda_view(o), g->frames); break;
    case FR_OP_SHUFFLE: e = frk_shuffle(c->compute, cuda_view(x), cuda_view(o), g->frames); break;
    case FR_OP_COPY: e = frk_copy(c->compute, cuda_view(x), cuda_view(o), g->frames); break;
    case FR_OP_AFFINE: {
        cuda_affine **d = (cuda_affine **)&((fr_node *)n)->impl;
        if ((st = affine_params(n, d, err)) != FR_OK)
            return st;
        e = frk_affine(c->compute, cuda_view(x), cuda_view(o), (*d)->scale, (*d)->shift, (int)n->act, g->frames);
        break;
    }
    default: return fr_err_set(err, FR_ERR_INTERNAL, "cuda: op %d is not a small op", (int)n->op);
    }
    return cuda_rt(e, layer, "kernel launch", shape, err);
}
