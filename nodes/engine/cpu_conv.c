/* cpu_conv.c: convolution on oneDNN (direct, NHWC activations, weights in oneDNN's
 * preferred blocked format), with the layer's tail fused as post-ops: bias, ReLU / ReLU6 /
 * sigmoid range, DeOldify's batch norm after the ReLU as per-channel binary mul/add, and
 * residual sums (oneDNN "sum" post-op into the destination, before or after the
 * activation).
 *
 * Winograd (F(4x4, 3x3), oneDNN's avx512 implementation), opt-in with
 * FR_ENGINE_WINOGRAD=1, runs the large 3x3 stride-1 convolutions about 2x faster than the
 * direct ones here, at the price of results that change with the thread count (oneDNN
 * picks its schedule by thread count) and ~0.9 GB more memory on the video model. It needs oneDNN's blocked
 * nChw16c layout and takes no binary post-ops, so the NHWC input is reordered into a
 * staging buffer, the conv writes another, and our own epilogue unblocks it back to NHWC
 * applying the activation, the per-channel affine and the residual sum in the order the
 * direct path's post-ops do. Whether a conv uses it is decided on the first plan and kept.
 *
 * Weights are reordered into the format the first plan's primitive asks for, once; the
 * host copy is then freed. A later plan (another input size) asks for that same format;
 * only if oneDNN refuses it are the weights reordered again, from the stored copy, so the
 * engine never holds two copies of a weight. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dnnl_debug.h>
#include <omp.h>

#include "backend_cpu.h"

fr_status cpu_check(dnnl_status_t s, const char *call, const char *what, fr_err *err)
{
    if (s == dnnl_success)
        return FR_OK;
    const char *fn = call;
    char name[64];
    size_t k = strcspn(call, "(");
    snprintf(name, sizeof name, "%.*s", (int)(k < 63 ? k : 63), call);
    fn = name;
    return fr_err_set(err, s == dnnl_out_of_memory ? FR_ERR_NOMEM : FR_ERR_BACKEND, "%s: %s: %s", what,
                      fn, dnnl_status2str(s));
}

static fr_status reorder(cpu_ctx *c, dnnl_memory_t from, dnnl_memory_t to, const char *what,
                         fr_err *err)
{
    const dnnl_memory_desc_t *fmd, *tmd;
    CPU_CHECK(dnnl_memory_get_memory_desc(from, &fmd), what);
    CPU_CHECK(dnnl_memory_get_memory_desc(to, &tmd), what);
    dnnl_primitive_desc_t pd;
    CPU_CHECK(dnnl_reorder_primitive_desc_create(&pd, fmd, c->eng, tmd, c->eng, NULL), what);
    dnnl_primitive_t p;
    dnnl_status_t s = dnnl_primitive_create(&p, pd);
    dnnl_primitive_desc_destroy(pd);
    CPU_CHECK(s, what);
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    s = dnnl_primitive_execute(p, c->stream, 2, args);
    if (s == dnnl_success)
        s = dnnl_stream_wait(c->stream);
    dnnl_primitive_destroy(p);
    CPU_CHECK(s, what);
    return FR_OK;
}

static fr_status vec_memory(cpu_ctx *c, const float *v, int n, int as_4d, dnnl_memory_t *out,
                            const char *what, fr_err *err)
{
    dnnl_memory_desc_t md;
    dnnl_dims_t d1 = {n}, d4 = {1, n, 1, 1};
    CPU_CHECK(as_4d ? dnnl_memory_desc_init_by_tag(&md, 4, d4, dnnl_f32, dnnl_nchw)
                    : dnnl_memory_desc_init_by_tag(&md, 1, d1, dnnl_f32, dnnl_a),
              what);
    CPU_CHECK(dnnl_memory_create(out, &md, c->eng, DNNL_MEMORY_ALLOCATE), what);
    void *p;
    CPU_CHECK(dnnl_memory_get_data_handle(*out, &p), what);
    memcpy(p, v, sizeof(float) * n);
    return FR_OK;
}

static void weights_md(const fr_convw *cw, dnnl_memory_desc_t *md, dnnl_format_tag_t tag)
{
    if (cw->groups > 1) {
        dnnl_dims_t d = {cw->groups, cw->oc / cw->groups, cw->ic / cw->groups, cw->kh, cw->kw};
        dnnl_memory_desc_init_by_tag(md, 5, d, dnnl_f32, tag == dnnl_format_tag_any ? tag : dnnl_goihw);
    } else {
        dnnl_dims_t d = {cw->oc, cw->ic, cw->kh, cw->kw};
        dnnl_memory_desc_init_by_tag(md, 4, d, dnnl_f32, tag);
    }
}

static fr_status make_pd(cpu_ctx *c, const cpu_conv_spec *s, const dnnl_memory_desc_t *wmd,
                         dnnl_primitive_desc_t *pd, cpu_conv *k, int wino, fr_err *err)
{
    const fr_convw *cw = s->cw;
    const char *what = cw->name;
    /* after the first plan the host copies are gone: ask the stored form what exists */
    const cpu_weights *held = cw->impl;
    int has_bias = cw->b || (held && held->b), has_post = cw->post_scale || (held && held->scale);
    dnnl_memory_desc_t src, dst, bias;
    dnnl_dims_t sd = {1, cw->ic, s->h, s->w}, dd = {1, cw->oc, s->oh, s->ow}, bd = {cw->oc};
    dnnl_format_tag_t at = wino ? dnnl_format_tag_any : dnnl_nhwc;
    CPU_CHECK(dnnl_memory_desc_init_by_tag(&src, 4, sd, dnnl_f32, at), what);
    CPU_CHECK(dnnl_memory_desc_init_by_tag(&dst, 4, dd, dnnl_f32, at), what);
    CPU_CHECK(dnnl_memory_desc_init_by_tag(&bias, 1, bd, dnnl_f32, dnnl_a), what);
    dnnl_convolution_desc_t cd;
    dnnl_dims_t strides = {s->stride, s->stride}, pl = {s->pad_t, s->pad_l}, pr = {s->pad_b, s->pad_r};
    CPU_CHECK(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference,
                                                 wino ? dnnl_convolution_winograd : dnnl_convolution_direct,
                                                 &src, wmd, has_bias ? &bias : NULL, &dst, strides, pl, pr),
              what);
    dnnl_post_ops_t po;
    CPU_CHECK(dnnl_post_ops_create(&po), what);
    dnnl_status_t st = dnnl_success;
    int idx = 0;
    k->scale_idx = k->shift_idx = -1;
    if (wino) /* the epilogue applies everything after the bias */
        goto attrs;
    if (s->accumulate && s->accumulate_first)
        st = dnnl_post_ops_append_sum(po, 1.0f), idx++;
    if (st == dnnl_success && s->act == FR_ACT_RELU)
        st = dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f), idx++;
    else if (st == dnnl_success && s->act == FR_ACT_RELU6)
        st = dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_clip, 0.0f, 6.0f), idx++;
    else if (st == dnnl_success && s->act == FR_ACT_SIGMOID_RANGE) {
        st = dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_logistic, 0.0f, 0.0f), idx++;
        if (st == dnnl_success)
            st = dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_linear, s->act_hi - s->act_lo,
                                              s->act_lo),
            idx++;
    }
    if (st == dnnl_success && has_post) {
        dnnl_memory_desc_t vmd;
        dnnl_dims_t vd = {1, cw->oc, 1, 1};
        st = dnnl_memory_desc_init_by_tag(&vmd, 4, vd, dnnl_f32, dnnl_nchw);
        if (st == dnnl_success)
            st = dnnl_post_ops_append_binary(po, dnnl_binary_mul, &vmd), k->scale_idx = idx++;
        if (st == dnnl_success)
            st = dnnl_post_ops_append_binary(po, dnnl_binary_add, &vmd), k->shift_idx = idx++;
    }
    if (st == dnnl_success && s->accumulate && !s->accumulate_first)
        st = dnnl_post_ops_append_sum(po, 1.0f), idx++;
attrs:;
    dnnl_primitive_attr_t attr = NULL;
    if (st == dnnl_success)
        st = dnnl_primitive_attr_create(&attr);
    if (st == dnnl_success)
        st = dnnl_primitive_attr_set_post_ops(attr, po);
    if (st == dnnl_success)
        st = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
    if (st == dnnl_success)
        st = dnnl_primitive_desc_create(pd, &cd, attr, c->eng, NULL);
    dnnl_post_ops_destroy(po);
    if (attr)
        dnnl_primitive_attr_destroy(attr);
    if (st == dnnl_success && wino) { /* the epilogue reads nChw16c */
        dnnl_memory_desc_t want;
        dnnl_memory_desc_init_by_tag(&want, 4, dd, dnnl_f32, dnnl_nChw16c);
        if (!dnnl_memory_desc_equal(&want, dnnl_primitive_desc_query_md(*pd, dnnl_query_dst_md, 0))) {
            dnnl_primitive_desc_destroy(*pd);
            st = dnnl_unimplemented;
        }
    }
    return cpu_check(st, "dnnl_primitive_desc_create", what, err);
}

/* First use of these weights: reorder the host copy into `want` and free it. */
static fr_status adopt_weights(cpu_ctx *c, fr_convw *cw, const dnnl_memory_desc_t *want, fr_err *err)
{
    const char *what = cw->name;
    cpu_weights *w = calloc(1, sizeof *w);
    if (!w)
        return fr_err_set(err, FR_ERR_NOMEM, "%s: out of memory", what);
    cw->impl = w;
    w->wmd = *want;
    dnnl_memory_desc_t plain;
    weights_md(cw, &plain, cw->groups > 1 ? dnnl_goihw : dnnl_oihw);
    dnnl_memory_t host;
    CPU_CHECK(dnnl_memory_create(&host, &plain, c->eng, cw->w), what);
    dnnl_status_t s = dnnl_memory_create(&w->w, want, c->eng, DNNL_MEMORY_ALLOCATE);
    fr_status st = cpu_check(s, "dnnl_memory_create", what, err);
    if (!st)
        st = reorder(c, host, w->w, what, err);
    dnnl_memory_destroy(host);
    if (st)
        return st;
    if (cw->b && (st = vec_memory(c, cw->b, cw->oc, 0, &w->b, what, err)))
        return st;
    if (cw->post_scale && ((st = vec_memory(c, cw->post_scale, cw->oc, 1, &w->scale, what, err)) ||
                           (st = vec_memory(c, cw->post_shift, cw->oc, 1, &w->shift, what, err))))
        return st;
    free(cw->w), free(cw->b), free(cw->post_scale), free(cw->post_shift);
    cw->w = cw->b = cw->post_scale = cw->post_shift = NULL;
    return FR_OK;
}

/* The stored format does not suit this plan: move the weights to `want`. */
static fr_status move_weights(cpu_ctx *c, fr_convw *cw, const dnnl_memory_desc_t *want, fr_err *err)
{
    cpu_weights *w = cw->impl;
    dnnl_memory_t nw;
    CPU_CHECK(dnnl_memory_create(&nw, want, c->eng, DNNL_MEMORY_ALLOCATE), cw->name);
    fr_status st = reorder(c, w->w, nw, cw->name, err);
    if (st) {
        dnnl_memory_destroy(nw);
        return st;
    }
    dnnl_memory_destroy(w->w);
    w->w = nw, w->wmd = *want;
    return FR_OK;
}

static int wino_eligible(const cpu_ctx *c, const cpu_conv_spec *s)
{
    const fr_convw *w = s->cw;
    return c->winograd && w->kh == 3 && w->kw == 3 && w->groups == 1 && s->stride == 1 && s->pad_t == 1 &&
           s->pad_l == 1 && s->pad_b == 1 && s->pad_r == 1 && w->ic >= 64 && w->oc >= 64 &&
           (long)s->oh * s->ow >= 32 * 32;
}

static fr_status wino_staging(cpu_ctx *c, const cpu_conv_spec *s, dnnl_primitive_desc_t pd, cpu_conv *k,
                              fr_err *err)
{
    const char *what = s->cw->name;
    const dnnl_memory_desc_t *bs = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
    const dnnl_memory_desc_t *bd = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
    k->bsrc_bytes = dnnl_memory_desc_get_size(bs);
    k->bdst_bytes = dnnl_memory_desc_get_size(bd);
    if (k->bsrc_bytes > c->wsrc_need)
        c->wsrc_need = k->bsrc_bytes;
    if (k->bdst_bytes > c->wdst_need)
        c->wdst_need = k->bdst_bytes;
    dnnl_memory_desc_t nhwc;
    dnnl_dims_t sd = {1, s->cw->ic, s->h, s->w};
    CPU_CHECK(dnnl_memory_desc_init_by_tag(&nhwc, 4, sd, dnnl_f32, dnnl_nhwc), what);
    CPU_CHECK(dnnl_memory_create(&k->nhwc_src, &nhwc, c->eng, s->src), what);
    CPU_CHECK(dnnl_memory_create(&k->bsrc, bs, c->eng, DNNL_MEMORY_NONE), what);
    CPU_CHECK(dnnl_memory_create(&k->bdst, bd, c->eng, DNNL_MEMORY_NONE), what);
    dnnl_primitive_desc_t rpd;
    CPU_CHECK(dnnl_reorder_primitive_desc_create(&rpd, &nhwc, c->eng, bs, c->eng, NULL), what);
    dnnl_status_t st = dnnl_primitive_create(&k->to_blocked, rpd);
    dnnl_primitive_desc_destroy(rpd);
    CPU_CHECK(st, what);
    k->wino = 1;
    k->out = s->dst, k->oh = s->oh, k->ow = s->ow;
    k->act = s->act, k->act_lo = s->act_lo, k->act_hi = s->act_hi;
    k->accumulate = s->accumulate, k->accumulate_first = s->accumulate_first;
    return FR_OK;
}

fr_status cpu_conv_create(cpu_ctx *c, const cpu_conv_spec *s, cpu_conv *k, fr_err *err)
{
    fr_convw *cw = s->cw;
    memset(k, 0, sizeof *k);
    k->cw = cw;
    dnnl_primitive_desc_t pd = NULL;
    fr_status st;
    cpu_weights *w = cw->impl;
    int wino;
    if (w) {
        wino = w->wino;
        st = make_pd(c, s, &w->wmd, &pd, k, wino, err);
        if (st && wino)
            return fr_err_wrap(err, "%s: Winograd convolution refused at %dx%d", cw->name, s->oh, s->ow);
        if (st) { /* stored format refused: take oneDNN's choice for this size */
            dnnl_memory_desc_t any;
            weights_md(cw, &any, dnnl_format_tag_any);
            if ((st = make_pd(c, s, &any, &pd, k, 0, err)))
                return st;
            const dnnl_memory_desc_t *want = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
            if ((st = move_weights(c, cw, want, err))) {
                dnnl_primitive_desc_destroy(pd);
                return st;
            }
        }
    } else {
        if (!cw->w)
            return fr_err_set(err, FR_ERR_INTERNAL, "%s: weights missing", cw->name);
        dnnl_memory_desc_t any;
        weights_md(cw, &any, dnnl_format_tag_any);
        wino = wino_eligible(c, s) && make_pd(c, s, &any, &pd, k, 1, NULL) == FR_OK;
        if (!wino && (st = make_pd(c, s, &any, &pd, k, 0, err)))
            return st;
        const dnnl_memory_desc_t *want = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
        if ((st = adopt_weights(c, cw, want, err))) {
            dnnl_primitive_desc_destroy(pd);
            return st;
        }
        ((cpu_weights *)cw->impl)->wino = wino;
    }
    const dnnl_memory_desc_t *smd = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
    const dnnl_memory_desc_t *dmd = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
    const dnnl_memory_desc_t *pmd = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    size_t need = pmd ? dnnl_memory_desc_get_size(pmd) : 0;
    if (need > c->scratch_need)
        c->scratch_need = need;
    dnnl_status_t ds = dnnl_primitive_create(&k->prim, pd);
    if (ds == dnnl_success && !wino)
        ds = dnnl_memory_create(&k->src, smd, c->eng, s->src);
    if (ds == dnnl_success && !wino)
        ds = dnnl_memory_create(&k->dst, dmd, c->eng, s->dst);
    if (ds == dnnl_success && need)
        ds = dnnl_memory_create(&k->scratch, pmd, c->eng, DNNL_MEMORY_NONE);
    st = ds == dnnl_success && wino ? wino_staging(c, s, pd, k, err) : FR_OK;
    dnnl_primitive_desc_destroy(pd);
    if (ds != dnnl_success || st) {
        cpu_conv_destroy(k);
        return st ? st : cpu_check(ds, "dnnl_primitive_create", cw->name, err);
    }
    return FR_OK;
}

static inline float epilogue_act(float x, fr_act a, float lo, float hi)
{
    switch (a) {
    case FR_ACT_RELU: return x > 0 ? x : 0;
    case FR_ACT_RELU6: return x < 0 ? 0 : x > 6 ? 6 : x;
    case FR_ACT_SIGMOID_RANGE: return (hi - lo) / (1.0f + expf(-x)) + lo;
    default: return x;
    }
}

/* nChw16c conv output (bias included) -> NHWC, with the post-op chain of the direct path */
static fr_status wino_epilogue(cpu_ctx *c, cpu_conv *k, fr_err *err)
{
    cpu_weights *w = k->cw->impl;
    const float *sc = NULL, *sh = NULL;
    if (w->scale) {
        void *p, *q;
        CPU_CHECK(dnnl_memory_get_data_handle(w->scale, &p), k->cw->name);
        CPU_CHECK(dnnl_memory_get_data_handle(w->shift, &q), k->cw->name);
        sc = p, sh = q;
    }
    const float *b = c->wdst;
    float *y = k->out;
    long hw = (long)k->oh * k->ow;
    int C = k->cw->oc, acc = k->accumulate, first = k->accumulate_first;
    fr_act a = k->act;
    float lo = k->act_lo, hi = k->act_hi;
#pragma omp parallel for schedule(static)
    for (long p = 0; p < hw; p++) {
        float *yp = y + p * C;
        for (int ch = 0; ch < C; ch++) {
            float v = b[((long)(ch >> 4) * hw + p) * 16 + (ch & 15)];
            if (acc && first)
                v += yp[ch];
            v = epilogue_act(v, a, lo, hi);
            if (sc)
                v = v * sc[ch] + sh[ch];
            if (acc && !first)
                v += yp[ch];
            yp[ch] = v;
        }
    }
    return FR_OK;
}

fr_status cpu_conv_exec(cpu_ctx *c, cpu_conv *k, fr_err *err)
{
    cpu_weights *w = k->cw->impl;
    dnnl_exec_arg_t a[8];
    int n = 0;
    if (k->wino) {
        CPU_CHECK(dnnl_memory_set_data_handle(k->bsrc, c->wsrc), k->cw->name);
        CPU_CHECK(dnnl_memory_set_data_handle(k->bdst, c->wdst), k->cw->name);
        dnnl_exec_arg_t r[2] = {{DNNL_ARG_FROM, k->nhwc_src}, {DNNL_ARG_TO, k->bsrc}};
        CPU_CHECK(dnnl_primitive_execute(k->to_blocked, c->stream, 2, r), k->cw->name);
    }
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_SRC, k->wino ? k->bsrc : k->src};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS, w->w};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DST, k->wino ? k->bdst : k->dst};
    if (w->b)
        a[n++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, w->b};
    if (k->scratch) {
        CPU_CHECK(dnnl_memory_set_data_handle(k->scratch, c->scratch), k->cw->name);
        a[n++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, k->scratch};
    }
    if (k->scale_idx >= 0) {
        a[n++] = (dnnl_exec_arg_t){DNNL_ARG_ATTR_MULTIPLE_POST_OP(k->scale_idx) | DNNL_ARG_SRC_1, w->scale};
        a[n++] = (dnnl_exec_arg_t){DNNL_ARG_ATTR_MULTIPLE_POST_OP(k->shift_idx) | DNNL_ARG_SRC_1, w->shift};
    }
    CPU_CHECK(dnnl_primitive_execute(k->prim, c->stream, n, a), k->cw->name);
    CPU_CHECK(dnnl_stream_wait(c->stream), k->cw->name);
    return k->wino ? wino_epilogue(c, k, err) : FR_OK;
}

void cpu_conv_destroy(cpu_conv *k)
{
    if (k->prim)
        dnnl_primitive_destroy(k->prim);
    if (k->src)
        dnnl_memory_destroy(k->src);
    if (k->dst)
        dnnl_memory_destroy(k->dst);
    if (k->scratch)
        dnnl_memory_destroy(k->scratch);
    if (k->to_blocked)
        dnnl_primitive_destroy(k->to_blocked);
    if (k->nhwc_src)
        dnnl_memory_destroy(k->nhwc_src);
    if (k->bsrc)
        dnnl_memory_destroy(k->bsrc);
    if (k->bdst)
        dnnl_memory_destroy(k->bdst);
    memset(k, 0, sizeof *k);
}

void cpu_weights_free(fr_convw *cw)
{
    cpu_weights *w = cw->impl;
    if (!w)
        return;
    if (w->w)
        dnnl_memory_destroy(w->w);
    if (w->b)
        dnnl_memory_destroy(w->b);
    if (w->scale)
        dnnl_memory_destroy(w->scale);
    if (w->shift)
        dnnl_memory_destroy(w->shift);
    free(w);
    cw->impl = NULL;
}
