/* smooth.c: temporal chroma smoothing (see smooth.h): settings, the handle, and the frame ring
 * that makes streaming exact. The per-frame warp-and-blend is in smooth_blend.c.
 *
 * The ring. Frame j of a run lives in slot j % cap (cap = 2r + 2) with its flow pyramid; the
 * flows of the pair (j, j+1), forward (j -> j+1) and backward (j+1 -> j), live in slot j % cap
 * too. Pyramids and pair flows are computed lazily, once, when an output first needs them, and
 * a pair's flow depends on its two frames alone: that is what makes outputs independent of how
 * frames were grouped into calls. A frame older than (next output - r) is never stored, and a
 * push that would overwrite a frame still needed is refused. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smooth_impl.h"

void fr_smooth_opts_default(fr_smooth_opts *o)
{
    o->enabled = 1;
    o->radius = 3;
    o->strength = 1.0;
    o->tolerance = 6.0;
    o->threads = 0;
}

static fr_status check_opts(const fr_smooth_opts *o, fr_err *err)
{
    if (o->radius < 0 || o->radius > FR_SMOOTH_MAX_RADIUS)
        return fr_err_set(err, FR_ERR_ARG, "smoothing radius %d is not in [0, %d]", o->radius,
                          FR_SMOOTH_MAX_RADIUS);
    if (!(o->strength >= 0 && o->strength <= 1))
        return fr_err_set(err, FR_ERR_ARG, "smoothing strength %g is not in [0, 1]", o->strength);
    if (!(o->tolerance >= 0.5 && o->tolerance <= 100))
        return fr_err_set(err, FR_ERR_ARG, "smoothing tolerance %g is not in [0.5, 100]",
                          o->tolerance);
    if (o->threads < 0 || o->threads > 1024)
        return fr_err_set(err, FR_ERR_ARG, "smoothing threads %d is not in [0, 1024]", o->threads);
    return FR_OK;
}

fr_status fr_smooth_opts_parse(fr_smooth_opts *o, const char *text, fr_err *err)
{
    fr_smooth_opts n = *o;
    char buf[256];
    if (!text || strlen(text) >= sizeof buf)
        return fr_err_set(err, FR_ERR_ARG, "smoothing settings missing or too long");
    strcpy(buf, text);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '='), *end = NULL;
        if (!eq) {
            if (!strcmp(tok, "on"))
                n.enabled = 1;
            else if (!strcmp(tok, "off"))
                n.enabled = 0;
            else
                return fr_err_set(err, FR_ERR_ARG, "smoothing: '%s' is not on, off or key=value",
                                  tok);
            continue;
        }
        *eq = 0;
        const char *val = eq + 1;
        double v = strtod(val, &end);
        if (!*val || *end)
            return fr_err_set(err, FR_ERR_ARG, "smoothing: %s='%s' is not a number", tok, val);
        if (!strcmp(tok, "radius")) {
            if (v != floor(v) || v < 0 || v > FR_SMOOTH_MAX_RADIUS)
                return fr_err_set(err, FR_ERR_ARG, "smoothing radius '%s' is not in [0, %d]",
                                  val, FR_SMOOTH_MAX_RADIUS);
            n.radius = (int)v;
        } else if (!strcmp(tok, "strength")) {
            n.strength = v;
        } else if (!strcmp(tok, "tolerance")) {
            n.tolerance = v;
        } else if (!strcmp(tok, "threads")) {
            if (v != floor(v) || v < 0 || v > 1024)
                return fr_err_set(err, FR_ERR_ARG, "smoothing threads '%s' is not in [0, 1024]",
                                  val);
            n.threads = (int)v;
        } else {
            return fr_err_set(err, FR_ERR_ARG, "smoothing: unknown setting '%s'", tok);
        }
    }
    fr_status st = check_opts(&n, err);
    if (st == FR_OK)
        *o = n;
    return st;
}

void fr_smooth_opts_format(const fr_smooth_opts *o, char *buf, size_t len)
{
    if (!o->enabled || o->radius == 0 || o->strength == 0)
        snprintf(buf, len, "off");
    else
        snprintf(buf, len, "radius=%d,strength=%.9g,tolerance=%.9g,flow=dis1", o->radius,
                 o->strength, o->tolerance);
}

static int active(const fr_smooth *s)
{
    return s->o.enabled && s->o.radius > 0 && s->o.strength > 0;
}

void fr_smooth_free(fr_smooth *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->cap; i++) {
        if (s->pyr)
            fr_flow_pyr_free(s->pyr[i]);
        if (s->fwd)
            free(s->fwd[i]);
        if (s->bwd)
            free(s->bwd[i]);
    }
    free(s->pyr);
    free(s->fwd);
    free(s->bwd);
    free(s->pyr_of);
    free(s->fwd_of);
    free(s->bwd_of);
    free(s->gate);
    free(s->gate_of);
    fr_flow_free(s->flow);
    free(s->gray);
    free(s->chroma);
    free(s->acc);
    free(s->chain);
    free(s->cap_w);
    free(s->res);
    free(s->box);
    free(s->wch);
    free(s->wt);
    free(s->bad);
    free(s);
}

fr_status fr_smooth_new(fr_smooth **out, int size, const fr_smooth_opts *opts, fr_err *err)
{
    *out = NULL;
    fr_smooth_opts o;
    if (opts)
        o = *opts;
    else
        fr_smooth_opts_default(&o);
    fr_status st = check_opts(&o, err);
    if (st != FR_OK)
        return st;
    if (size < 16 || size > 8192)
        return fr_err_set(err, FR_ERR_ARG, "smoothing: frame size %d is not in [16, 8192]", size);
    fr_smooth *s = calloc(1, sizeof *s);
    if (!s)
        return fr_err_set(err, FR_ERR_NOMEM, "smoothing: out of memory");
    s->o = o;
    s->size = size;
    s->threads = o.threads > 0 ? o.threads : omp_get_max_threads();
    if (s->threads < 1)
        s->threads = 1;
    int r = active(s) ? o.radius : 0;
    s->cap = 2 * r + 2;
    size_t px = (size_t)size * size;
    s->gray = malloc(px * s->cap);
    s->chroma = malloc(2 * px * s->cap);
    s->pyr = calloc(s->cap, sizeof *s->pyr);
    s->fwd = calloc(s->cap, sizeof *s->fwd);
    s->bwd = calloc(s->cap, sizeof *s->bwd);
    s->pyr_of = malloc(s->cap * sizeof(int));
    s->fwd_of = malloc(s->cap * sizeof(int));
    s->bwd_of = malloc(s->cap * sizeof(int));
    s->gate = malloc(s->cap * sizeof(float));
    s->gate_of = malloc(s->cap * sizeof(int));
    if (!s->gray || !s->chroma || !s->pyr || !s->fwd || !s->bwd || !s->pyr_of || !s->fwd_of ||
        !s->bwd_of || !s->gate || !s->gate_of)
        goto nomem;
    if (r > 0) {
        fr_flow_opts fo;
        fr_flow_opts_default(&fo);
        fo.threads = s->threads;
        if ((st = fr_flow_new(&s->flow, size, size, &fo, err)) != FR_OK) {
            fr_smooth_free(s);
            return st;
        }
        for (int i = 0; i < s->cap; i++) {
            if ((st = fr_flow_pyr_new(&s->pyr[i], s->flow, err)) != FR_OK) {
                fr_smooth_free(s);
                return st;
            }
            s->fwd[i] = malloc(2 * px * sizeof(float));
            s->bwd[i] = malloc(2 * px * sizeof(float));
            if (!s->fwd[i] || !s->bwd[i])
                goto nomem;
        }
        s->acc = malloc(3 * px * sizeof(float));
        s->chain = malloc(2 * px * sizeof(float));
        s->cap_w = malloc(2 * px * sizeof(float));
        s->res = malloc(px * sizeof(float));
        s->box = malloc(px * sizeof(float));
        s->wch = malloc(2 * px * sizeof(float));
        s->wt = malloc(px * sizeof(float));
        s->bad = malloc(px);
        if (!s->acc || !s->chain || !s->cap_w || !s->res || !s->box || !s->wch || !s->wt ||
            !s->bad)
            goto nomem;
    }
    fr_smooth_begin(s, 0, -1);
    *out = s;
    return FR_OK;
nomem:
    fr_smooth_free(s);
    return fr_err_set(err, FR_ERR_NOMEM, "smoothing: out of memory for %dx%d frames", size, size);
}

void fr_smooth_begin(fr_smooth *s, int first, int count)
{
    s->first = first < 0 ? 0 : first;
    s->count = count;
    s->pushed = 0;
    s->finished = 0;
    s->next_out = s->first;
    for (int i = 0; i < s->cap; i++)
        s->pyr_of[i] = s->fwd_of[i] = s->bwd_of[i] = s->gate_of[i] = -1;
}

int fr_smooth_radius(const fr_smooth *s) { return active(s) ? s->o.radius : 0; }

static int run_done(const fr_smooth *s)
{
    return s->count >= 0 && s->next_out >= s->first + s->count;
}

fr_status fr_smooth_push(fr_smooth *s, const uint8_t *gray, const uint8_t *chroma, fr_err *err)
{
    if (s->finished)
        return fr_err_set(err, FR_ERR_ARG, "smoothing: push after finish");
    int j = s->pushed, r = fr_smooth_radius(s);
    if (!run_done(s) && j >= s->next_out - r) {
        if (j >= s->next_out + r + 2)
            return fr_err_set(err, FR_ERR_ARG,
                              "smoothing: frame %d pushed while output %d is pending (pop first)",
                              j, s->next_out);
        size_t px = (size_t)s->size * s->size;
        int slot = j % s->cap;
        memcpy(s->gray + slot * px, gray, px);
        memcpy(s->chroma + slot * 2 * px, chroma, 2 * px);
        s->pyr_of[slot] = -1;
        s->fwd_of[slot] = s->bwd_of[slot] = s->gate_of[slot] = -1;
    }
    s->pushed++;
    return FR_OK;
}

void fr_smooth_finish(fr_smooth *s) { s->finished = 1; }

fr_status fr_smooth_pop(fr_smooth *s, uint8_t *chroma_out, int *index, fr_err *err)
{
    (void)err;
    int t = s->next_out, r = fr_smooth_radius(s);
    if (run_done(s) || t >= s->pushed)
        return FR_EOF;
    if (!s->finished && s->pushed <= t + r)
        return FR_EOF;
    int lo = t - r < 0 ? 0 : t - r;
    int hi = t + r < s->pushed - 1 ? t + r : s->pushed - 1;
    size_t px = (size_t)s->size * s->size;
    if (r == 0)
        memcpy(chroma_out, s->chroma + (t % s->cap) * 2 * px, 2 * px);
    else
        fr_smooth_blend(s, t, lo, hi, chroma_out);
    *index = t;
    s->next_out++;
    return FR_OK;
}

fr_status fr_smooth_run(fr_smooth *s, const uint8_t *gray, const uint8_t *chroma, int n,
                        int first, int count, uint8_t *out, fr_err *err)
{
    if (n < 0 || first < 0 || (n > 0 && first >= n) || (count >= 0 && first + count > n))
        return fr_err_set(err, FR_ERR_ARG, "smoothing: frames %d+%d of %d out of range", first,
                          count, n);
    if (count < 0)
        count = n - first;
    int r = fr_smooth_radius(s), lo = first - r < 0 ? 0 : first - r;
    int hi = first + count + r < n ? first + count + r : n;
    size_t px = (size_t)s->size * s->size;
    fr_smooth_begin(s, first - lo, count);
    for (int j = lo; j <= hi; j++) {
        if (j == hi)
            fr_smooth_finish(s);
        else {
            fr_status st = fr_smooth_push(s, gray + j * px, chroma + j * 2 * px, err);
            if (st != FR_OK)
                return st;
        }
        int idx;
        while (fr_smooth_pop(s, out, &idx, err) == FR_OK)
            out += 2 * px;
    }
    return FR_OK;
}

fr_status fr_smooth_frame(fr_smooth *s, const uint8_t *const *gray,
                          const uint8_t *const *chroma, int n, int center, uint8_t *out,
                          fr_err *err)
{
    if (n < 1 || center < 0 || center >= n)
        return fr_err_set(err, FR_ERR_ARG, "smoothing: frame %d of a window of %d", center, n);
    int r = fr_smooth_radius(s), lo = center - r < 0 ? 0 : center - r;
    int hi = center + r + 1 < n ? center + r + 1 : n;
    fr_smooth_begin(s, center - lo, 1);
    for (int j = lo; j < hi; j++) {
        fr_status st = fr_smooth_push(s, gray[j], chroma[j], err);
        if (st != FR_OK)
            return st;
    }
    fr_smooth_finish(s);
    int idx;
    if (fr_smooth_pop(s, out, &idx, err) != FR_OK)
        return fr_err_set(err, FR_ERR_INTERNAL, "smoothing: no output for frame %d", center);
    return FR_OK;
}
