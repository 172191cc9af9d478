/* cuda_weights.c: a convolution's weights on the GPU, once per node: OIHW f32 from the
 * model -> OHWI (cuDNN's NHWC filter layout) in the storage type, converted on the host
 * by cuda_math.h's rounding; the bias both in the storage type (the fused cuDNN call) and
 * in f32 (the tail kernel), and DeOldify's post-activation affine in f32. The host copy
 * of the weights is freed once uploaded. */
#include <stdlib.h>

#include "backend_cuda.h"
#include "cuda_math.h"

static fr_status put(void **dev, const void *host, size_t bytes, const char *layer, fr_err *err)
{
    char shape[48];
    snprintf(shape, sizeof shape, "%zu bytes", bytes);
    CU_RT(cudaMalloc(dev, bytes), layer, shape);
    CU_RT(cudaMemcpy(*dev, host, bytes, cudaMemcpyHostToDevice), layer, shape);
    return FR_OK;
}

fr_status cuda_weights_upload(cuda_ctx *c, fr_convw *cw, fr_err *err)
{
    if (cw->impl)
        return FR_OK;
    if (!cw->w)
        return fr_err_set(err, FR_ERR_INTERNAL, "cuda: %s: weights already released", cw->name);
    cuda_weights *d = calloc(1, sizeof *d);
    int icg = cw->ic / cw->groups, t = (int)c->type;
    size_t es = fr_dtype_size(c->type), nw = (size_t)cw->oc * icg * cw->kh * cw->kw;
    void *hw = malloc(nw * es), *hb = calloc((size_t)cw->oc, es);
    float *bf = calloc((size_t)cw->oc, sizeof *bf);
    if (!d || !hw || !hb || !bf) {
        free(d), free(hw), free(hb), free(bf);
        return fr_err_set(err, FR_ERR_NOMEM, "cuda: %s: out of host memory", cw->name);
    }
    for (int o = 0; o < cw->oc; o++)
        for (int i = 0; i < icg; i++)
            for (int y = 0; y < cw->kh; y++)
                for (int x = 0; x < cw->kw; x++)
                    frh_store(hw, frh_krsc_index(o, i, y, x, icg, cw->kh, cw->kw), t,
                              cw->w[(((size_t)o * icg + i) * cw->kh + y) * cw->kw + x]);
    for (int o = 0; o < cw->oc; o++) {
        bf[o] = cw->b ? cw->b[o] : 0.0f;
        frh_store(hb, o, t, bf[o]);
    }
    cw->impl = d; /* from here cuda_weights_free() releases what was uploaded */
    fr_status st = put(&d->w, hw, nw * es, cw->name, err);
    if (st == FR_OK)
        st = put(&d->bias_t, hb, (size_t)cw->oc * es, cw->name, err);
    if (st == FR_OK)
        st = put((void **)&d->bias, bf, (size_t)cw->oc * sizeof(float), cw->name, err);
    if (st == FR_OK && cw->post_scale)
        st = put((void **)&d->scale, cw->post_scale, (size_t)cw->oc * sizeof(float), cw->name, err);
    if (st == FR_OK && cw->post_scale)
        st = put((void **)&d->shift, cw->post_shift, (size_t)cw->oc * sizeof(float), cw->name, err);
    free(hw), free(hb), free(bf);
    if (st != FR_OK)
        return st;
    free(cw->w); /* the GPU holds it now */
    cw->w = NULL;
    return FR_OK;
}

void cuda_weights_free(fr_convw *cw)
{
    cuda_weights *d = cw->impl;
    if (!d)
        return;
    void *p[5] = {d->w, d->bias_t, d->bias, d->scale, d->shift};
    for (int i = 0; i < 5; i++)
        if (p[i])
            cudaFree(p[i]);
    free(d);
    cw->impl = NULL;
}
