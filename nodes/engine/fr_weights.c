/* fr_weights.c: loading weights from the model into engine weight objects, with the
 * load-time folds:
 *   conv -> BN (no activation between):   W'[o] = W[o] * scale[o],  b' = b * scale + shift
 *   conv -> ReLU -> BN (DeOldify's order): kept apart, the BN becomes a per-channel
 *                                          post-op after the activation (folding it into
 *                                          the next conv would be wrong at zero-padded
 *                                          borders)
 *   self-attention query/key/value:        stacked into one (2 C/8 + C) x C projection.
 * Spectral and weight norms were already folded by the exporter (tools/frnet.py). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_engine_impl.h"

static void fail(fr_graph *g, fr_err *e)
{
    if (g->st == FR_OK)
        g->st = e->code, g->err = *e;
}

static fr_convw *find_cw(fr_engine *e, const char *name)
{
    for (int i = 0; i < e->ncw; i++)
        if (!strcmp(e->cw[i]->name, name))
            return e->cw[i];
    return NULL;
}

static int keep_cw(fr_engine *e, fr_convw *w)
{
    if (e->ncw == e->cap_cw) {
        int cap = e->cap_cw ? 2 * e->cap_cw : 128;
        fr_convw **p = realloc(e->cw, cap * sizeof *p);
        if (!p)
            return 0;
        e->cw = p, e->cap_cw = cap;
    }
    e->cw[e->ncw++] = w;
    return 1;
}

static fr_convw *new_cw(fr_engine *e, fr_graph *g, const char *name)
{
    fr_err err;
    if (!e->m) {
        fr_err_set(&err, FR_ERR_INTERNAL, "engine: weights '%s' requested after load", name);
        fail(g, &err);
        return NULL;
    }
    fr_convw *w = calloc(1, sizeof *w);
    if (!w || !keep_cw(e, w)) {
        free(w);
        fr_err_set(&err, FR_ERR_NOMEM, "engine: out of memory");
        fail(g, &err);
        return NULL;
    }
    snprintf(w->name, sizeof w->name, "%s", name);
    return w;
}

static fr_status take_bn(fr_engine *e, const char *bn, int c, float **scale, float **shift, fr_err *err)
{
    char n1[128], n2[128];
    int64_t d[1] = {c};
    snprintf(n1, sizeof n1, "%s.scale", bn);
    snprintf(n2, sizeof n2, "%s.shift", bn);
    fr_status st = fr_model_take(e->m, n1, 1, d, scale, err);
    if (st == FR_OK)
        st = fr_model_take(e->m, n2, 1, d, shift, err);
    return st;
}

fr_convw *fr_w_conv(fr_engine *e, fr_graph *g, const char *name, int depthwise, const char *fold_bn,
                    const char *post_bn, int bias)
{
    if (g->st != FR_OK)
        return NULL;
    fr_convw *w = find_cw(e, name);
    if (w)
        return w;
    if (!(w = new_cw(e, g, name)))
        return NULL;
    fr_err err;
    char tn[128];
    snprintf(tn, sizeof tn, "%s.weight", name);
    const fr_model_tensor *t;
    int64_t any[4] = {-1, -1, -1, -1};
    fr_status st = fr_model_get(e->m, tn, 4, any, &t, &err);
    if (st == FR_OK && (t->dims[2] != t->dims[3] || t->dims[2] % 2 == 0 || (depthwise && t->dims[1] != 1)))
        st = fr_err_set(&err, FR_ERR_MODEL, "tensor '%s' has an unsupported kernel shape", tn);
    if (st == FR_OK) {
        w->oc = (int)t->dims[0];
        w->groups = depthwise ? w->oc : 1;
        w->ic = (int)t->dims[1] * w->groups;
        w->kh = (int)t->dims[2], w->kw = (int)t->dims[3];
        st = fr_model_take(e->m, tn, 4, NULL, &w->w, &err);
    }
    if (st == FR_OK && bias) {
        int64_t d[1] = {w->oc};
        snprintf(tn, sizeof tn, "%s.bias", name);
        st = fr_model_take(e->m, tn, 1, d, &w->b, &err);
    }
    if (st == FR_OK && fold_bn) {
        float *sc = NULL, *sh = NULL;
        st = take_bn(e, fold_bn, w->oc, &sc, &sh, &err);
        if (st == FR_OK) {
            size_t per = (size_t)(w->ic / w->groups) * w->kh * w->kw;
            for (int o = 0; o < w->oc; o++)
                for (size_t k = 0; k < per; k++)
                    w->w[o * per + k] *= sc[o];
            if (w->b)
                for (int o = 0; o < w->oc; o++)
                    w->b[o] = w->b[o] * sc[o] + sh[o];
            else
                w->b = sh, sh = NULL;
        }
        free(sc), free(sh);
    }
    if (st == FR_OK && post_bn)
        st = take_bn(e, post_bn, w->oc, &w->post_scale, &w->post_shift, &err);
    if (st != FR_OK) {
        fail(g, &err);
        return NULL;
    }
    return w;
}

fr_convw *fr_w_attention(fr_engine *e, fr_graph *g, const char *name)
{
    if (g->st != FR_OK)
        return NULL;
    fr_convw *w = find_cw(e, name);
    if (w)
        return w;
    if (!(w = new_cw(e, g, name)))
        return NULL;
    fr_err err;
    char tq[128], tk[128], tv[128], tg[128];
    snprintf(tq, sizeof tq, "%s.query.weight", name);
    snprintf(tk, sizeof tk, "%s.key.weight", name);
    snprintf(tv, sizeof tv, "%s.value.weight", name);
    snprintf(tg, sizeof tg, "%s.gamma", name);
    const fr_model_tensor *v, *q, *k, *gm;
    int64_t any[4] = {-1, -1, 1, 1};
    fr_status st = fr_model_get(e->m, tv, 4, any, &v, &err);
    int c = st != FR_OK ? 0 : (int)v->dims[1];
    int64_t dv[4] = {c, c, 1, 1}, dq[4] = {-1, c, 1, 1}, dg[1] = {1};
    if (st == FR_OK)
        st = fr_model_get(e->m, tv, 4, dv, &v, &err);
    if (st == FR_OK)
        st = fr_model_get(e->m, tq, 4, dq, &q, &err);
    if (st == FR_OK) {
        dq[0] = q->dims[0];
        st = fr_model_get(e->m, tk, 4, dq, &k, &err);
    }
    if (st == FR_OK)
        st = fr_model_get(e->m, tg, 1, dg, &gm, &err);
    if (st == FR_OK) {
        int qk = (int)q->dims[0];
        w->qk = qk, w->ic = c, w->oc = 2 * qk + c, w->kh = w->kw = 1, w->groups = 1;
        w->gamma = gm->data[0];
        w->w = malloc(sizeof(float) * (size_t)w->oc * c);
        if (!w->w) {
            st = fr_err_set(&err, FR_ERR_NOMEM, "engine: out of memory");
        } else {
            memcpy(w->w, q->data, sizeof(float) * (size_t)qk * c);
            memcpy(w->w + (size_t)qk * c, k->data, sizeof(float) * (size_t)qk * c);
            memcpy(w->w + (size_t)2 * qk * c, v->data, sizeof(float) * (size_t)c * c);
            float *drop;
            fr_model_take(e->m, tq, 4, NULL, &drop, NULL), free(drop);
            fr_model_take(e->m, tk, 4, NULL, &drop, NULL), free(drop);
            fr_model_take(e->m, tv, 4, NULL, &drop, NULL), free(drop);
        }
    }
    if (st != FR_OK) {
        fail(g, &err);
        return NULL;
    }
    return w;
}

fr_affine *fr_w_affine(fr_engine *e, fr_graph *g, const char *name)
{
    if (g->st != FR_OK)
        return NULL;
    for (int i = 0; i < e->naf; i++)
        if (!strcmp(e->af[i]->name, name))
            return e->af[i];
    fr_err err;
    if (!e->m) {
        fr_err_set(&err, FR_ERR_INTERNAL, "engine: weights '%s' requested after load", name);
        fail(g, &err);
        return NULL;
    }
    fr_affine *a = calloc(1, sizeof *a);
    if (a && e->naf == e->cap_af) {
        int cap = e->cap_af ? 2 * e->cap_af : 32;
        fr_affine **p = realloc(e->af, cap * sizeof *p);
        if (p)
            e->af = p, e->cap_af = cap;
    }
    if (!a || e->naf == e->cap_af) {
        free(a);
        fr_err_set(&err, FR_ERR_NOMEM, "engine: out of memory");
        fail(g, &err);
        return NULL;
    }
    e->af[e->naf++] = a;
    snprintf(a->name, sizeof a->name, "%s", name);
    char tn[128];
    snprintf(tn, sizeof tn, "%s.scale", name);
    const fr_model_tensor *t;
    fr_status st = fr_model_get(e->m, tn, 1, NULL, &t, &err);
    if (st == FR_OK) {
        a->c = (int)t->dims[0];
        st = take_bn(e, name, a->c, &a->scale, &a->shift, &err);
    }
    if (st != FR_OK) {
        fail(g, &err);
        return NULL;
    }
    return a;
}

static float *permute_rows(float *v, int oc, size_t row, const int *from)
{
    if (!v)
        return NULL;
    float *p = malloc(sizeof *p * oc * row);
    if (p)
        for (int o = 0; o < oc; o++)
            memcpy(p + o * row, v + from[o] * row, sizeof *p * row);
    free(v);
    return p;
}

void fr_w_shuffle_order(fr_graph *g, fr_convw *w)
{
    if (g->st || !w || w->shuffle_order)
        return;
    fr_err err;
    int c = w->oc / 4;
    int *from = malloc(sizeof *from * w->oc);
    if (!from || !w->w || w->oc % 4) {
        free(from);
        fr_err_set(&err, FR_ERR_INTERNAL, "engine: cannot reorder '%s' for the pixel shuffle", w->name);
        fail(g, &err);
        return;
    }
    for (int s = 0; s < 4; s++)
        for (int k = 0; k < c; k++)
            from[s * c + k] = 4 * k + s;
    size_t row = (size_t)(w->ic / w->groups) * w->kh * w->kw;
    w->w = permute_rows(w->w, w->oc, row, from);
    w->b = permute_rows(w->b, w->oc, 1, from);
    w->post_scale = permute_rows(w->post_scale, w->oc, 1, from);
    w->post_shift = permute_rows(w->post_shift, w->oc, 1, from);
    free(from);
    w->shuffle_order = 1;
    if (!w->w) {
        fr_err_set(&err, FR_ERR_NOMEM, "engine: out of memory");
        fail(g, &err);
    }
}
