/* cpu_weights.c: a convolution's weights in oneDNN's form, kept across plans.
 *
 * Weights are reordered into the format the first plan's primitive asks for, once; the
 * host copy is then freed. A later plan (another input size or frame count) asks for that
 * same format; only if oneDNN refuses it are the weights reordered again, from the stored
 * copy, so the engine never holds two copies of a weight. */
#include <stdlib.h>
#include <string.h>

#include "backend_cpu.h"

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

void cpu_weights_md(const fr_convw *cw, dnnl_memory_desc_t *md, dnnl_format_tag_t tag)
{
    if (cw->groups > 1) {
        dnnl_dims_t d = {cw->groups, cw->oc / cw->groups, cw->ic / cw->groups, cw->kh, cw->kw};
        dnnl_memory_desc_init_by_tag(md, 5, d, dnnl_f32, tag == dnnl_format_tag_any ? tag : dnnl_goihw);
    } else {
        dnnl_dims_t d = {cw->oc, cw->ic, cw->kh, cw->kw};
        dnnl_memory_desc_init_by_tag(md, 4, d, dnnl_f32, tag);
    }
}

fr_status cpu_weights_adopt(cpu_ctx *c, fr_convw *cw, const dnnl_memory_desc_t *want, fr_err *err)
{
    const char *what = cw->name;
    cpu_weights *w = calloc(1, sizeof *w);
    if (!w)
        return fr_err_set(err, FR_ERR_NOMEM, "%s: out of memory", what);
    cw->impl = w;
    w->wmd = *want;
    dnnl_memory_desc_t plain;
    cpu_weights_md(cw, &plain, cw->groups > 1 ? dnnl_goihw : dnnl_oihw);
    dnnl_memory_t host;
    CPU_CHECK(dnnl_memory_create(&host, &plain, c->eng, cw->w), what);
    dnnl_status_t s = dnnl_memory_create(&w->w, want, c->eng, DNNL_MEMORY_ALLOCATE);
    fr_status st = cpu_check(s, "dnnl_memory_create", what, err);
    if (st == FR_OK)
        st = reorder(c, host, w->w, what, err);
    dnnl_memory_destroy(host);
    if (st != FR_OK)
        return st;
    if (cw->b && (st = vec_memory(c, cw->b, cw->oc, 0, &w->b, what, err)) != FR_OK)
        return st;
    if (cw->post_scale && ((st = vec_memory(c, cw->post_scale, cw->oc, 1, &w->scale, what, err)) != FR_OK ||
                           (st = vec_memory(c, cw->post_shift, cw->oc, 1, &w->shift, what, err)) != FR_OK))
        return st;
    free(cw->w), free(cw->b), free(cw->post_scale), free(cw->post_shift);
    cw->w = cw->b = cw->post_scale = cw->post_shift = NULL;
    return FR_OK;
}

fr_status cpu_weights_move(cpu_ctx *c, fr_convw *cw, const dnnl_memory_desc_t *want, fr_err *err)
{
    cpu_weights *w = cw->impl;
    dnnl_memory_t nw;
    CPU_CHECK(dnnl_memory_create(&nw, want, c->eng, DNNL_MEMORY_ALLOCATE), cw->name);
    fr_status st = reorder(c, w->w, nw, cw->name, err);
    if (st != FR_OK) {
        dnnl_memory_destroy(nw);
        return st;
    }
    dnnl_memory_destroy(w->w);
    w->w = nw, w->wmd = *want;
    return FR_OK;
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
