/* cpu_conv.c: convolution on oneDNN (direct, NHWC activations, weights in oneDNN's
 * preferred blocked format, cpu_weights.c), and the choice of how much of the layer's
 * tail oneDNN fuses: bias, ReLU / ReLU6 / sigmoid range, DeOldify's batch norm after the
 * ReLU as per-channel binary mul/add, and residual sums (oneDNN "sum" post-op into the
 * destination, before or after the activation).
 *
 * No reference kernels. Which fused tails a JIT kernel takes depends on the ISA (oneDNN
 * 2.6's AVX2 direct conv takes a sum before an eltwise, not after one; its AVX-512 one
 * takes both). Each candidate form is asked for in turn and the first whose
 * implementation (dnnl_query_impl_info_str) is not a reference one is kept:
 *   fused       every post-op; the whole batch in one primitive (minibatch = frames);
 *   split sum   everything but a trailing residual sum, which cpu_conv_tail.c adds;
 *   split all   bias only; activation, affine and sums in cpu_conv_tail.c.
 *   blocked     bias only, in oneDNN's own blocked layout (nChw8c on AVX2) through staging;
 *               tried first for 3x3 convolutions of 64+ channels on ISAs below AVX-512,
 *               where oneDNN's direct kernels run 1.3-2x faster blocked than on NHWC.
 * Split and blocked forms run frame by frame through one frame of staging (shared by
 * every conv), so they cost no memory per batch. If every form is a reference kernel, the fused one runs
 * and one line names the layer and its shape; FR_ENGINE_STRICT=1 makes that an error.
 *
 * Winograd (F(4x4, 3x3), oneDNN's avx512 implementation), opt-in with
 * FR_ENGINE_WINOGRAD=1, runs the large 3x3 stride-1 convolutions about 2x faster than the
 * direct ones here, at the price of results that change with the thread count (oneDNN
 * picks its schedule by thread count). It needs the blocked nChw16c layout and takes no
 * binary post-ops, so it is a staged form too: NHWC -> nChw16c staging -> conv -> staging
 * -> cpu_conv_tail.c -> NHWC. Whether a conv uses it is decided on the first plan. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dnnl_debug.h>

#include "backend_cpu.h"
#include "fr_log.h"

fr_status cpu_check(dnnl_status_t s, const char *call, const char *what, fr_err *err)
{
    if (s == dnnl_success)
        return FR_OK;
    char name[64];
    size_t k = strcspn(call, "(");
    snprintf(name, sizeof name, "%.*s", (int)(k < 63 ? k : 63), call);
    return fr_err_set(err, s == dnnl_out_of_memory ? FR_ERR_NOMEM : FR_ERR_BACKEND, "%s: %s: %s", what,
                      name, dnnl_status2str(s));
}

static int has_trailing_sum(const cpu_conv_spec *s) { return s->accumulate && !s->accumulate_first; }

static int has_tail(const cpu_conv_spec *s, int has_post)
{
    return s->act != FR_ACT_NONE || has_post || s->accumulate;
}

static dnnl_status_t append_act(dnnl_post_ops_t po, const cpu_conv_spec *s, int *idx)
{
    dnnl_status_t st = dnnl_success;
    if (s->act == FR_ACT_RELU)
        st = dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f), ++*idx;
    else if (s->act == FR_ACT_RELU6)
        st = dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_clip, 0.0f, 6.0f), ++*idx;
    else if (s->act == FR_ACT_SIGMOID_RANGE) {
        st = dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_logistic, 0.0f, 0.0f), ++*idx;
        if (st == dnnl_success)
            st = dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_linear, s->act_hi - s->act_lo, s->act_lo),
            ++*idx;
    }
    return st;
}

/* The primitive descriptor of form `tail` with weights `wmd`; fills k's post-op indices. */
static fr_status make_pd(cpu_ctx *c, const cpu_conv_spec *s, const dnnl_memory_desc_t *wmd, cpu_tail tail,
                         dnnl_primitive_desc_t *pd, cpu_conv *k, fr_err *err)
{
    const fr_convw *cw = s->cw;
    const char *what = cw->name;
    /* after the first plan the host copies are gone: ask the stored form what exists */
    const cpu_weights *held = cw->impl;
    int has_bias = cw->b || (held && held->b), has_post = cw->post_scale || (held && held->scale);
    int wino = tail == CPU_TAIL_WINOGRAD, mb = tail == CPU_TAIL_FUSED ? s->frames : 1;
    int any_layout = wino || tail == CPU_TAIL_BLOCKED;
    dnnl_memory_desc_t src, dst, bias;
    dnnl_dims_t sd = {mb, cw->ic, s->h, s->w}, dd = {mb, cw->oc, s->oh, s->ow}, bd = {cw->oc};
    dnnl_format_tag_t at = any_layout ? dnnl_format_tag_any : dnnl_nhwc;
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
    if (tail == CPU_TAIL_FUSED || tail == CPU_TAIL_SPLIT_SUM) {
        if (s->accumulate && s->accumulate_first)
            st = dnnl_post_ops_append_sum(po, 1.0f), idx++;
        if (st == dnnl_success)
            st = append_act(po, s, &idx);
        if (st == dnnl_success && has_post) {
            dnnl_memory_desc_t vmd;
            dnnl_dims_t vd = {1, cw->oc, 1, 1};
            st = dnnl_memory_desc_init_by_tag(&vmd, 4, vd, dnnl_f32, dnnl_nchw);
            if (st == dnnl_success)
                st = dnnl_post_ops_append_binary(po, dnnl_binary_mul, &vmd), k->scale_idx = idx++;
            if (st == dnnl_success)
                st = dnnl_post_ops_append_binary(po, dnnl_binary_add, &vmd), k->shift_idx = idx++;
        }
        if (st == dnnl_success && tail == CPU_TAIL_FUSED && has_trailing_sum(s))
            st = dnnl_post_ops_append_sum(po, 1.0f), idx++;
    }
    dnnl_primitive_attr_t attr = NULL;
    if (st == dnnl_success)
        st = dnnl_primitive_attr_create(&attr);
    if (st == dnnl_success)
        st = dnnl_primitive_attr_set_post_ops(attr, po);
    if (st == dnnl_success)
        st = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
    if (st == dnnl_success && c->bf16) /* f32 storage, bf16 products, f32 sums */
        st = dnnl_primitive_attr_set_fpmath_mode(attr, dnnl_fpmath_mode_bf16);
    if (st == dnnl_success)
        st = dnnl_primitive_desc_create(pd, &cd, attr, c->eng, NULL);
    dnnl_post_ops_destroy(po);
    if (attr)
        dnnl_primitive_attr_destroy(attr);
    k->block = 0;
    if (st == dnnl_success && any_layout) { /* the tail reads nChw16c (Winograd) or nChw8c */
        const dnnl_memory_desc_t *got = dnnl_primitive_desc_query_md(*pd, dnnl_query_dst_md, 0);
        dnnl_memory_desc_t b16, b8;
        dnnl_memory_desc_init_by_tag(&b16, 4, dd, dnnl_f32, dnnl_nChw16c);
        dnnl_memory_desc_init_by_tag(&b8, 4, dd, dnnl_f32, dnnl_nChw8c);
        k->block = dnnl_memory_desc_equal(&b16, got) ? 16 : !wino && dnnl_memory_desc_equal(&b8, got) ? 8 : 0;
        if (!k->block) {
            dnnl_primitive_desc_destroy(*pd);
            st = dnnl_unimplemented;
        }
    }
    return cpu_check(st, "dnnl_primitive_desc_create", what, err);
}

const char *cpu_pd_impl(dnnl_primitive_desc_t pd)
{
    const char *s = NULL;
    if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &s) != dnnl_success || !s)
        return "?";
    return s;
}

int cpu_pd_is_reference(dnnl_primitive_desc_t pd) { return strstr(cpu_pd_impl(pd), "ref") != NULL; }

static int wino_eligible(const cpu_ctx *c, const cpu_conv_spec *s)
{
    const fr_convw *w = s->cw;
    return c->winograd && w->kh == 3 && w->kw == 3 && w->groups == 1 && s->stride == 1 && s->pad_t == 1 &&
           s->pad_l == 1 && s->pad_b == 1 && s->pad_r == 1 && w->ic >= 64 && w->oc >= 64 &&
           (long)s->oh * s->ow >= 32 * 32;
}

/* Tries form `tail`: with the stored weights format, else (ref or refused) with oneDNN's
 * choice, which then needs the weights moved (*move = 1). FR_OK with a pd, or an error. */
static fr_status try_form(cpu_ctx *c, const cpu_conv_spec *s, cpu_tail tail, int allow_ref,
                          dnnl_primitive_desc_t *pd, int *move, cpu_conv *k, fr_err *err)
{
    const cpu_weights *held = s->cw->impl;
    *move = 0;
    fr_status st = FR_ERR_BACKEND;
    if (held) {
        st = make_pd(c, s, &held->wmd, tail, pd, k, err);
        if (st == FR_OK && !allow_ref && cpu_pd_is_reference(*pd)) {
            dnnl_primitive_desc_destroy(*pd);
            st = FR_ERR_BACKEND;
        }
        if (st == FR_OK || tail == CPU_TAIL_WINOGRAD)
            return st;
    }
    dnnl_memory_desc_t any;
    cpu_weights_md(s->cw, &any, dnnl_format_tag_any);
    if ((st = make_pd(c, s, &any, tail, pd, k, err)) != FR_OK)
        return st;
    if (!allow_ref && cpu_pd_is_reference(*pd)) {
        dnnl_primitive_desc_destroy(*pd);
        return fr_err_set(err, FR_ERR_BACKEND, "%s: only a reference kernel", s->cw->name);
    }
    *move = held != NULL;
    return FR_OK;
}

static const char *tail_names[] = {"fused", "split sum", "split all", "winograd", "blocked"};

static int blocked_preferred(const cpu_ctx *c, const cpu_conv_spec *s)
{
    const fr_convw *w = s->cw;
    return c->blocked_3x3 && w->kh == 3 && w->kw == 3 && w->groups == 1 && w->ic >= 64 && w->oc >= 64;
}

/* Picks the form (see the top of this file) and returns its primitive descriptor. */
static fr_status choose_form(cpu_ctx *c, const cpu_conv_spec *s, dnnl_primitive_desc_t *pd, int *move,
                             cpu_conv *k, fr_err *err)
{
    fr_convw *cw = s->cw;
    const cpu_weights *held = cw->impl;
    int has_post = cw->post_scale || (held && held->scale);
    if (held ? held->wino : wino_eligible(c, s)) {
        fr_status st = try_form(c, s, CPU_TAIL_WINOGRAD, 1, pd, move, k, NULL);
        if (st == FR_OK) {
            k->tail = CPU_TAIL_WINOGRAD;
            return FR_OK;
        }
        if (held)
            return fr_err_set(err, FR_ERR_BACKEND, "%s: Winograd convolution refused at %dx%d", cw->name, s->oh,
                              s->ow);
    }
    cpu_tail forms[4];
    int nf = 0;
    if (blocked_preferred(c, s))
        forms[nf++] = CPU_TAIL_BLOCKED;
    forms[nf++] = CPU_TAIL_FUSED;
    if (has_trailing_sum(s))
        forms[nf++] = CPU_TAIL_SPLIT_SUM;
    if (has_tail(s, has_post))
        forms[nf++] = CPU_TAIL_SPLIT_ALL;
    for (int i = 0; i < nf; i++)
        if (try_form(c, s, forms[i], 0, pd, move, k, NULL) == FR_OK) {
            k->tail = forms[i];
            return FR_OK;
        }
    fr_status st = try_form(c, s, CPU_TAIL_FUSED, 1, pd, move, k, err);
    if (st != FR_OK)
        return st;
    k->tail = CPU_TAIL_FUSED;
    const char *msg = "%s (%dx%dx%d -> %dx%dx%d, %dx%d kernel, stride %d, %d frames): oneDNN has only a "
                      "reference kernel (%s) on %s";
    if (c->strict) {
        st = fr_err_set(err, FR_ERR_BACKEND, msg, cw->name, s->h, s->w, cw->ic, s->oh, s->ow, cw->oc, cw->kh,
                        cw->kw, s->stride, s->frames, cpu_pd_impl(*pd), fr_backend_cpu_isa());
        dnnl_primitive_desc_destroy(*pd);
        return fr_err_wrap(err, "FR_ENGINE_STRICT=1");
    }
    fr_warn("engine", msg, cw->name, s->h, s->w, cw->ic, s->oh, s->ow, cw->oc, cw->kh, cw->kw, s->stride,
            s->frames, cpu_pd_impl(*pd), fr_backend_cpu_isa());
    return FR_OK;
}

fr_status cpu_conv_create(cpu_ctx *c, const cpu_conv_spec *s, cpu_conv *k, fr_err *err)
{
    fr_convw *cw = s->cw;
    memset(k, 0, sizeof *k);
    k->cw = cw;
    if (!cw->impl && !cw->w)
        return fr_err_set(err, FR_ERR_INTERNAL, "%s: weights missing", cw->name);
    dnnl_primitive_desc_t pd = NULL;
    int move = 0;
    fr_status st = choose_form(c, s, &pd, &move, k, err);
    if (st != FR_OK)
        return st;
    const dnnl_memory_desc_t *want = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    if (!cw->impl)
        st = cpu_weights_adopt(c, cw, want, err);
    else if (move)
        st = cpu_weights_move(c, cw, want, err);
    if (st != FR_OK) {
        dnnl_primitive_desc_destroy(pd);
        return st;
    }
    cpu_weights *w = cw->impl;
    if (!move && !w->wino && k->tail == CPU_TAIL_WINOGRAD)
        w->wino = 1;
    snprintf(k->impl, sizeof k->impl, "%s", cpu_pd_impl(pd));
    int staged = k->tail != CPU_TAIL_FUSED;
    int blocked = k->tail == CPU_TAIL_WINOGRAD || k->tail == CPU_TAIL_BLOCKED;
    k->frames = s->frames;
    k->mb = staged ? 1 : s->frames;
    k->src_fstride = (size_t)s->h * s->w * cw->ic;
    k->dst_fstride = (size_t)s->oh * s->ow * cw->oc;
    k->src_base = s->src, k->dst_base = s->dst;
    k->oh = s->oh, k->ow = s->ow;
    if (k->tail == CPU_TAIL_SPLIT_SUM) {
        k->after = (cpu_tail_ops){.act = FR_ACT_NONE, .sum_last = 1};
    } else if (staged) {
        k->after = (cpu_tail_ops){.act = s->act, .act_lo = s->act_lo, .act_hi = s->act_hi,
                                  .sum_first = s->accumulate && s->accumulate_first,
                                  .sum_last = has_trailing_sum(s)};
        if (w->scale) {
            void *p, *q;
            dnnl_memory_get_data_handle(w->scale, &p);
            dnnl_memory_get_data_handle(w->shift, &q);
            k->after.scale = p, k->after.shift = q;
        }
    }
    const dnnl_memory_desc_t *smd = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
    const dnnl_memory_desc_t *dmd = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
    const dnnl_memory_desc_t *pmd = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    size_t need = pmd ? dnnl_memory_desc_get_size(pmd) : 0;
    if (need > c->scratch_need)
        c->scratch_need = need;
    if (staged) {
        k->stage_bytes = dnnl_memory_desc_get_size(dmd);
        if (k->stage_bytes > c->stage_dst_need)
            c->stage_dst_need = k->stage_bytes;
        size_t sb = blocked ? dnnl_memory_desc_get_size(smd) : 0;
        if (sb > c->stage_src_need)
            c->stage_src_need = sb;
    }
    dnnl_status_t ds = dnnl_primitive_create(&k->prim, pd);
    if (ds == dnnl_success)
        ds = dnnl_memory_create(&k->src, smd, c->eng, DNNL_MEMORY_NONE);
    if (ds == dnnl_success)
        ds = dnnl_memory_create(&k->dst, dmd, c->eng, DNNL_MEMORY_NONE);
    if (ds == dnnl_success && need)
        ds = dnnl_memory_create(&k->scratch, pmd, c->eng, DNNL_MEMORY_NONE);
    if (ds == dnnl_success && blocked) {
        dnnl_memory_desc_t nhwc;
        dnnl_dims_t sd = {1, cw->ic, s->h, s->w};
        dnnl_primitive_desc_t rpd = NULL;
        ds = dnnl_memory_desc_init_by_tag(&nhwc, 4, sd, dnnl_f32, dnnl_nhwc);
        if (ds == dnnl_success)
            ds = dnnl_memory_create(&k->nhwc_src, &nhwc, c->eng, DNNL_MEMORY_NONE);
        if (ds == dnnl_success)
            ds = dnnl_reorder_primitive_desc_create(&rpd, &nhwc, c->eng, smd, c->eng, NULL);
        if (ds == dnnl_success)
            ds = dnnl_primitive_create(&k->to_blocked, rpd);
        if (rpd)
            dnnl_primitive_desc_destroy(rpd);
    }
    dnnl_primitive_desc_destroy(pd);
    if (ds != dnnl_success) {
        cpu_conv_destroy(k);
        return cpu_check(ds, "dnnl_primitive_create", cw->name, err);
    }
    fr_debug("engine", "%s %dx%d x%d: %s, %s", cw->name, s->oh, s->ow, s->frames, k->impl, tail_names[k->tail]);
    return FR_OK;
}

fr_status cpu_conv_exec(cpu_ctx *c, cpu_conv *k, fr_err *err)
{
    cpu_weights *w = k->cw->impl;
    const char *what = k->cw->name;
    int staged = k->tail != CPU_TAIL_FUSED;
    int blocked = k->tail == CPU_TAIL_WINOGRAD || k->tail == CPU_TAIL_BLOCKED;
    for (int f = 0; f < k->frames; f += k->mb) {
        float *src = k->src_base + f * k->src_fstride, *dst = k->dst_base + f * k->dst_fstride;
        if (blocked) {
            CPU_CHECK(dnnl_memory_set_data_handle(k->nhwc_src, src), what);
            CPU_CHECK(dnnl_memory_set_data_handle(k->src, c->stage_src), what);
            dnnl_exec_arg_t r[2] = {{DNNL_ARG_FROM, k->nhwc_src}, {DNNL_ARG_TO, k->src}};
            CPU_CHECK(dnnl_primitive_execute(k->to_blocked, c->stream, 2, r), what);
        } else {
            CPU_CHECK(dnnl_memory_set_data_handle(k->src, src), what);
        }
        CPU_CHECK(dnnl_memory_set_data_handle(k->dst, staged ? c->stage_dst : dst), what);
        dnnl_exec_arg_t a[8];
        int n = 0;
        a[n++] = (dnnl_exec_arg_t){DNNL_ARG_SRC, k->src};
        a[n++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS, w->w};
        a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DST, k->dst};
        if (w->b)
            a[n++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, w->b};
        if (k->scratch) {
            CPU_CHECK(dnnl_memory_set_data_handle(k->scratch, c->scratch), what);
            a[n++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, k->scratch};
        }
        if (k->scale_idx >= 0) {
            a[n++] = (dnnl_exec_arg_t){DNNL_ARG_ATTR_MULTIPLE_POST_OP(k->scale_idx) | DNNL_ARG_SRC_1, w->scale};
            a[n++] = (dnnl_exec_arg_t){DNNL_ARG_ATTR_MULTIPLE_POST_OP(k->shift_idx) | DNNL_ARG_SRC_1, w->shift};
        }
        CPU_CHECK(dnnl_primitive_execute(k->prim, c->stream, n, a), what);
        CPU_CHECK(dnnl_stream_wait(c->stream), what);
        if (staged)
            cpu_tail_run(&k->after, c->stage_dst, k->block, dst, (long)k->oh * k->ow, k->cw->oc);
    }
    return FR_OK;
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
    memset(k, 0, sizeof *k);
}
