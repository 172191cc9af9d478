/* fr_graph.c: emitting graph nodes with shape inference, and the arena planner.
 *
 * Planner invariant: a root's storage is reserved from the first node that touches any
 * value stored in it to the last; two roots share arena bytes only when their lifetimes
 * do not overlap. Placement is first-fit in order of first use, which is deterministic,
 * so a given model and input size always gets the same layout. */
#include "fr_graph.h"

#include <stdlib.h>
#include <string.h>

#define ALIGN 64

size_t fr_dtype_size(fr_dtype t) { return t == FR_F32 ? 4 : 2; }

fr_graph *fr_graph_new(int size, int batch, fr_dtype type)
{
    fr_graph *g = calloc(1, sizeof *g);
    if (g)
        g->size = size, g->batch = batch > 0 ? batch : 1, g->frames = g->batch, g->type = type;
    return g;
}

void fr_graph_free(fr_graph *g)
{
    if (!g)
        return;
    free(g->v);
    free(g->n);
    free(g);
}

static int fail(fr_graph *g, fr_status st, const char *what)
{
    if (g->st == FR_OK)
        g->st = fr_err_set(&g->err, st, "engine graph: %s", what);
    return -1;
}

static int mismatch(fr_graph *g, const char *name, const char *suffix, int want, int have)
{
    if (g->st == FR_OK)
        g->st = fr_err_set(&g->err, FR_ERR_MODEL,
                           "tensor '%s%s' is for %d channels, but the layer before it gives %d", name,
                           suffix, want, have);
    return -1;
}

int fr_g_value(fr_graph *g, int h, int w, int c)
{
    if (g->st != FR_OK)
        return -1;
    if (h <= 0 || w <= 0 || c <= 0)
        return fail(g, FR_ERR_ARG, "input too small for this network");
    if (g->nv == g->cap_v) {
        int cap = g->cap_v ? 2 * g->cap_v : 256;
        fr_value *v = realloc(g->v, cap * sizeof *v);
        if (!v)
            return fail(g, FR_ERR_NOMEM, "out of memory");
        g->v = v, g->cap_v = cap;
    }
    fr_value *v = &g->v[g->nv];
    memset(v, 0, sizeof *v);
    v->h = h, v->w = w, v->c = c;
    v->type = g->type;
    v->parent = v->alias = -1;
    return g->nv++;
}

int fr_g_slice(fr_graph *g, int parent, int c_off, int c)
{
    if (g->st || parent < 0)
        return -1;
    fr_value p = g->v[parent];
    if (c_off < 0 || c_off + c > p.c)
        return fail(g, FR_ERR_INTERNAL, "slice outside its parent");
    int s = fr_g_value(g, p.h, p.w, c);
    if (s >= 0)
        g->v[s].parent = parent, g->v[s].c_off = c_off;
    return s;
}

static fr_node *add_node(fr_graph *g, fr_op op, int in, int out)
{
    if (g->nn == g->cap_n) {
        int cap = g->cap_n ? 2 * g->cap_n : 256;
        fr_node *n = realloc(g->n, cap * sizeof *n);
        if (!n) {
            fail(g, FR_ERR_NOMEM, "out of memory");
            return NULL;
        }
        g->n = n, g->cap_n = cap;
    }
    fr_node *n = &g->n[g->nn++];
    memset(n, 0, sizeof *n);
    n->op = op, n->in = in, n->out = out;
    return n;
}

int fr_g_input(fr_graph *g, int c)
{
    int x = fr_g_value(g, g->size, g->size, c);
    if (x >= 0 && add_node(g, FR_OP_INPUT, -1, x))
        g->in_c = c;
    return g->st != FR_OK ? -1 : x;
}

void fr_g_output(fr_graph *g, int x)
{
    if (g->st || x < 0)
        return;
    if (add_node(g, FR_OP_OUTPUT, x, -1))
        g->out_c = g->v[x].c;
}

int fr_g_conv(fr_graph *g, int x, fr_convw *cw, int stride, const int pad[4], fr_act act, int acc,
              int acc_first)
{
    if (g->st || x < 0 || !cw)
        return -1;
    fr_value in = g->v[x];
    if (in.c != cw->ic)
        return mismatch(g, cw->name, ".weight", cw->ic, in.c);
    int oh = (in.h + pad[0] + pad[2] - cw->kh) / stride + 1;
    int ow = (in.w + pad[1] + pad[3] - cw->kw) / stride + 1;
    int y = fr_g_value(g, oh, ow, cw->oc);
    if (y < 0)
        return -1;
    if (acc >= 0) {
        fr_value a = g->v[acc];
        if (a.h != oh || a.w != ow || a.c != cw->oc || a.parent >= 0)
            return fail(g, FR_ERR_INTERNAL, "residual shape mismatch");
        g->v[y].alias = acc;
    }
    fr_node *n = add_node(g, FR_OP_CONV, x, y);
    if (!n)
        return -1;
    n->cw = cw, n->stride = stride, n->act = act;
    n->pad_t = pad[0], n->pad_l = pad[1], n->pad_b = pad[2], n->pad_r = pad[3];
    n->accumulate = acc >= 0, n->accumulate_first = acc_first;
    return y;
}

int fr_g_conv_same(fr_graph *g, int x, fr_convw *cw, int stride, fr_act act, int acc)
{
    if (!cw)
        return -1;
    int p = (cw->kh - 1) / 2;
    int pad[4] = {p, p, p, p};
    return fr_g_conv(g, x, cw, stride, pad, act, acc, 0);
}

int fr_g_maxpool(fr_graph *g, int x)
{
    if (g->st || x < 0)
        return -1;
    fr_value in = g->v[x];
    int y = fr_g_value(g, (in.h - 1) / 2 + 1, (in.w - 1) / 2 + 1, in.c);
    if (y >= 0)
        add_node(g, FR_OP_MAXPOOL, x, y);
    return g->st != FR_OK ? -1 : y;
}

int fr_g_affine(fr_graph *g, int x, fr_affine *af, fr_act act, int out)
{
    if (g->st || x < 0 || !af)
        return -1;
    fr_value in = g->v[x];
    if (in.c != af->c)
        return mismatch(g, af->name, ".scale", af->c, in.c);
    if (out < 0)
        out = fr_g_value(g, in.h, in.w, in.c);
    else if (g->v[out].h != in.h || g->v[out].w != in.w || g->v[out].c != in.c)
        return fail(g, FR_ERR_INTERNAL, "affine destination shape");
    fr_node *n = out >= 0 ? add_node(g, FR_OP_AFFINE, x, out) : NULL;
    if (n)
        n->af = af, n->act = act;
    return g->st != FR_OK ? -1 : out;
}

int fr_g_shuffle(fr_graph *g, int x, int out)
{
    if (g->st || x < 0)
        return -1;
    fr_value in = g->v[x];
    if (in.c % 4)
        return fail(g, FR_ERR_MODEL, "pixel shuffle input channels not a multiple of 4");
    if (out < 0)
        out = fr_g_value(g, 2 * in.h, 2 * in.w, in.c / 4);
    else if (g->v[out].c != in.c / 4)
        return fail(g, FR_ERR_MODEL, "pixel shuffle output channels");
    if (out >= 0)
        add_node(g, FR_OP_SHUFFLE, x, out);
    return g->st != FR_OK ? -1 : out;
}

int fr_g_attention(fr_graph *g, int x, fr_convw *qkv)
{
    if (g->st || x < 0 || !qkv)
        return -1;
    fr_value in = g->v[x];
    if (in.c != qkv->ic || qkv->oc != 2 * qkv->qk + in.c || in.parent >= 0)
        return mismatch(g, qkv->name, ".value.weight", qkv->ic, in.c);
    int y = fr_g_value(g, in.h, in.w, in.c);
    if (y < 0)
        return -1;
    g->v[y].alias = x;
    fr_node *n = add_node(g, FR_OP_ATTENTION, x, y);
    if (n)
        n->cw = qkv;
    return g->st != FR_OK ? -1 : y;
}

int fr_g_copy(fr_graph *g, int x, int out)
{
    if (g->st || x < 0 || out < 0)
        return -1;
    fr_value a = g->v[x], b = g->v[out];
    if (a.h != b.h || a.w != b.w || a.c != b.c)
        return fail(g, FR_ERR_INTERNAL, "copy shape mismatch");
    add_node(g, FR_OP_COPY, x, out);
    return g->st != FR_OK ? -1 : out;
}

/* ---- planning */
static int root_of(fr_graph *g, int v)
{
    while (g->v[v].parent >= 0 || g->v[v].alias >= 0)
        v = g->v[v].parent >= 0 ? g->v[v].parent : g->v[v].alias;
    return v;
}

static void touch(fr_graph *g, int v, int i)
{
    if (v < 0)
        return;
    fr_value *r = &g->v[g->v[v].root];
    if (r->first < 0 || i < r->first)
        r->first = i;
    if (i > r->last)
        r->last = i;
}

typedef struct {
    size_t off, end;
    int last;
} live_block;

static int cmp_first(const void *a, const void *b, void *ctx)
{
    const fr_graph *g = ctx;
    int x = *(const int *)a, y = *(const int *)b;
    int fx = g->v[x].first, fy = g->v[y].first;
    return fx != fy ? (fx < fy ? -1 : 1) : (x < y ? -1 : x > y);
}

fr_status fr_graph_plan(fr_graph *g, fr_err *err)
{
    if (g->st != FR_OK) {
        if (err)
            *err = g->err;
        return g->st;
    }
    for (int v = 0; v < g->nv; v++) {
        g->v[v].root = root_of(g, v);
        g->v[v].first = -1, g->v[v].last = -1;
    }
    /* an alias takes over storage whose previous owner must not be read afterwards */
    size_t nv = g->nv > 0 ? (size_t)g->nv : 1;
    int *last_read = malloc(sizeof(int) * nv);
    int *order = malloc(sizeof(int) * nv);
    live_block *live = malloc(sizeof(live_block) * nv);
    if (!last_read || !order || !live) {
        free(last_read), free(order), free(live);
        return fr_err_set(err, FR_ERR_NOMEM, "engine plan: out of memory");
    }
    for (int v = 0; v < g->nv; v++)
        last_read[v] = -1;
    for (int i = 0; i < g->nn; i++) {
        touch(g, g->n[i].in, i), touch(g, g->n[i].out, i);
        if (g->n[i].in >= 0)
            last_read[g->n[i].in] = i;
    }
    fr_status st = FR_OK;
    for (int i = 0; i < g->nn && st == FR_OK; i++) {
        int o = g->n[i].out;
        if (o >= 0 && g->v[o].alias >= 0 && last_read[g->v[o].alias] > i)
            st = fr_err_set(err, FR_ERR_INTERNAL, "engine plan: value %d is overwritten in place but read later",
                            g->v[o].alias);
    }
    int nr = 0;
    for (int v = 0; v < g->nv; v++)
        if (g->v[v].root == v && g->v[v].first >= 0) {
            g->v[v].bytes = ((size_t)g->batch * g->v[v].h * g->v[v].w * g->v[v].c *
                                 fr_dtype_size(g->v[v].type) + ALIGN - 1) / ALIGN * ALIGN;
            order[nr++] = v;
        }
    qsort_r(order, nr, sizeof *order, cmp_first, g);
    int nl = 0;
    size_t top = 0;
    for (int k = 0; k < nr && st == FR_OK; k++) {
        fr_value *r = &g->v[order[k]];
        int j = 0; /* drop blocks whose values are dead */
        for (int i = 0; i < nl; i++)
            if (live[i].last >= r->first)
                live[j++] = live[i];
        nl = j;
        /* live blocks sorted by offset: first gap that fits */
        for (int a = 1; a < nl; a++)
            for (int b = a; b > 0 && live[b - 1].off > live[b].off; b--) {
                live_block t = live[b];
                live[b] = live[b - 1], live[b - 1] = t;
            }
        size_t off = 0;
        for (int i = 0; i < nl; i++) {
            if (live[i].off >= off + r->bytes)
                break;
            if (live[i].end > off)
                off = live[i].end;
        }
        r->offset = off;
        live[nl++] = (live_block){off, off + r->bytes, r->last};
        if (off + r->bytes > top)
            top = off + r->bytes;
    }
    free(last_read), free(order), free(live);
    g->arena_bytes = top;
    return st;
}

void fr_graph_bind(fr_graph *g, void *arena)
{
    g->arena = arena;
    for (int v = 0; v < g->nv; v++) {
        fr_value *x = &g->v[v];
        int off = 0;
        for (int p = v; g->v[p].parent >= 0 || g->v[p].alias >= 0;) {
            if (g->v[p].parent >= 0)
                off += g->v[p].c_off, p = g->v[p].parent;
            else
                p = g->v[p].alias;
        }
        fr_value *r = &g->v[x->root];
        x->ld = r->c;
        x->fstride = (size_t)r->h * r->w * r->c;
        x->data = arena ? (char *)arena + r->offset + off * fr_dtype_size(r->type) : NULL;
    }
}

float *fr_value_frame(const fr_value *v, int f) { return (float *)v->data + (size_t)f * v->fstride; }

double fr_graph_flops(const fr_graph *g)
{
    double f = 0;
    for (int i = 0; i < g->nn; i++) {
        const fr_node *n = &g->n[i];
        if (n->op == FR_OP_CONV) {
            const fr_value *o = &g->v[n->out];
            f += 2.0 * o->h * o->w * o->c * (double)(n->cw->ic / n->cw->groups) * n->cw->kh * n->cw->kw;
        } else if (n->op == FR_OP_ATTENTION) {
            const fr_value *x = &g->v[n->in];
            double np = (double)x->h * x->w;
            f += 2.0 * np * x->c * n->cw->oc + 2.0 * np * np * (n->cw->qk + x->c);
        }
    }
    return f;
}
