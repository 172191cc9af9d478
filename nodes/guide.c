/* guide.c: the reference guide's handle and one shot (guide.h): the forward pass from each
 * reference stores its chroma and confidence per frame; the backward pass from each reference
 * blends its own with them and with the model's matched chroma. One propagation step is
 * guide_prop.c, the colour transfer guide_stats.c. */
#include <omp.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guide_impl.h"

/* Keep in step with FR_GUIDE_DECAY, FR_GUIDE_TOLERANCE and FR_GUIDE_GAIN (guide_impl.h). */
const char *fr_guide_settings(void)
{
    return "guide=2,decay=0.995,tolerance=10,gain=4,smoothed,transfer=meancov,flow=dis1";
}

void fr_guide_free(fr_guide *g)
{
    if (!g)
        return;
    fr_flow_pyr_free(g->pyr[0]);
    fr_flow_pyr_free(g->pyr[1]);
    fr_flow_free(g->flow);
    float *f[] = {g->B, g->F, g->D, g->Dn, g->C, g->Cn, g->res, g->d2, g->hsum, g->wgt};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        free(f[i]);
    free(g->bad);
    free(g->P);
    free(g->wf);
    free(g);
}

fr_status fr_guide_new(fr_guide **out, int size, int threads, fr_err *err)
{
    *out = NULL;
    if (size < 16 || size > 8192)
        return fr_err_set(err, FR_ERR_ARG, "references: frame size %d is not in [16, 8192]", size);
    fr_guide *g = calloc(1, sizeof *g);
    if (!g)
        return fr_err_set(err, FR_ERR_NOMEM, "references: out of memory");
    g->size = size;
    g->threads = threads > 0 ? threads : omp_get_max_threads();
    if (g->threads < 1)
        g->threads = 1;
    fr_flow_opts fo;
    fr_flow_opts_default(&fo);
    fo.threads = g->threads;
    fr_status st;
    if ((st = fr_flow_new(&g->flow, size, size, &fo, err)) != FR_OK ||
        (st = fr_flow_pyr_new(&g->pyr[0], g->flow, err)) != FR_OK ||
        (st = fr_flow_pyr_new(&g->pyr[1], g->flow, err)) != FR_OK) {
        fr_guide_free(g);
        return st;
    }
    size_t px = (size_t)size * size;
    float **two[] = {&g->B, &g->F, &g->D, &g->Dn}, **one[] = {&g->C, &g->Cn, &g->res, &g->d2, &g->hsum, &g->wgt};
    int ok = 1;
    for (size_t i = 0; i < 4; i++)
        ok &= (*two[i] = malloc(2 * px * sizeof(float))) != NULL;
    for (size_t i = 0; i < 6; i++)
        ok &= (*one[i] = malloc(px * sizeof(float))) != NULL;
    g->bad = malloc(px);
    g->P = malloc(2 * px);
    if (!ok || !g->bad || !g->P) {
        fr_guide_free(g);
        return fr_err_set(err, FR_ERR_NOMEM, "references: out of memory for %dx%d frames", size, size);
    }
    *out = g;
    return FR_OK;
}

/* Carries reference k (at frame a) from a towards `to` (exclusive), one frame at a time in
 * direction dir. Forward passes store chroma in out and confidence in g->wf; backward passes
 * blend. */
static void pass(fr_guide *g, const uint8_t *gray, const uint8_t *chroma, int a, int to, int dir,
                 const uint8_t *ref, uint8_t *out, int has_forward)
{
    int w = g->size;
    size_t px = (size_t)w * w;
    fr_guide_prop_start(g);
    int pp = 0;
    fr_flow_prepare(g->flow, gray + (size_t)a * px, w, g->pyr[pp]);
    for (int t = a + dir; t != to; t += dir) {
        const uint8_t *gc = gray + (size_t)t * px;
        fr_flow_prepare(g->flow, gc, w, g->pyr[1 - pp]);
        fr_guide_prop_step(g, pp, gc, gray + (size_t)a * px, ref);
        pp = 1 - pp;
        uint8_t *o = out + (size_t)t * 2 * px;
        uint16_t *wf = g->wf + (size_t)t * px;
        if (dir > 0) {
#pragma omp parallel for num_threads(g->threads) schedule(static)
            for (int y = 0; y < w; y++)
                for (size_t i = (size_t)y * w; i < (size_t)(y + 1) * w; i++) {
                    o[2 * i] = g->P[2 * i];
                    o[2 * i + 1] = g->P[2 * i + 1];
                    wf[i] = (uint16_t)(g->wgt[i] * 65535.0f + 0.5f);
                }
            continue;
        }
        const uint8_t *m = chroma + (size_t)t * 2 * px;
#pragma omp parallel for num_threads(g->threads) schedule(static)
        for (int y = 0; y < w; y++)
            for (size_t i = (size_t)y * w; i < (size_t)(y + 1) * w; i++) {
                float f = has_forward ? (float)wf[i] / 65535.0f : 0.0f, b = g->wgt[i];
                float w0 = (1.0f - f) * (1.0f - b), mm[2];
                fr_guide_stats_apply(g, m + 2 * i, mm);
                for (int c = 0; c < 2; c++) {
                    float pf = has_forward ? (float)o[2 * i + c] : 0.0f;
                    float v = (f * pf + b * (float)g->P[2 * i + c] + w0 * mm[c]) / (f + b + w0);
                    v = floorf(v + 0.5f);
                    o[2 * i + c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
                }
            }
    }
}

/* Frames after the last reference have only the forward pass: blend it with the model. */
static void forward_only(fr_guide *g, const uint8_t *chroma, int from, int to, uint8_t *out)
{
    size_t px = (size_t)g->size * g->size;
    for (int t = from; t < to; t++) {
        uint8_t *o = out + (size_t)t * 2 * px;
        const uint8_t *m = chroma + (size_t)t * 2 * px;
        const uint16_t *wf = g->wf + (size_t)t * px;
#pragma omp parallel for num_threads(g->threads) schedule(static)
        for (int y = 0; y < g->size; y++)
            for (size_t i = (size_t)y * g->size; i < (size_t)(y + 1) * g->size; i++) {
                float f = (float)wf[i] / 65535.0f, mm[2];
                fr_guide_stats_apply(g, m + 2 * i, mm);
                for (int c = 0; c < 2; c++) {
                    float v = floorf(f * (float)o[2 * i + c] + (1.0f - f) * mm[c] + 0.5f);
                    o[2 * i + c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
                }
            }
    }
}

fr_status fr_guide_shot(fr_guide *g, const uint8_t *gray, const uint8_t *chroma, int n,
                        const int32_t *at, const uint8_t *ref, int nref, uint8_t *out, fr_err *err)
{
    if (n < 1 || nref < 1)
        return fr_err_set(err, FR_ERR_ARG, "references: a shot of %d frames with %d references", n, nref);
    for (int k = 0; k < nref; k++)
        if (at[k] < 0 || at[k] >= n || (k > 0 && at[k] <= at[k - 1]))
            return fr_err_set(err, FR_ERR_ARG, "references: reference %d at frame %d of a shot of %d", k,
                              (int)at[k], n);
    size_t px = (size_t)g->size * g->size;
    if ((size_t)n > g->wf_cap) {
        uint16_t *p = realloc(g->wf, (size_t)n * px * sizeof *p);
        if (!p)
            return fr_err_set(err, FR_ERR_NOMEM, "references: out of memory for a shot of %d frames", n);
        g->wf = p;
        g->wf_cap = (size_t)n;
    }
    fr_guide_stats_fit(g, chroma, at, ref, nref);
    for (int k = 0; k < nref; k++) {
        int to = k + 1 < nref ? at[k + 1] : n;
        memcpy(out + (size_t)at[k] * 2 * px, ref + (size_t)k * 2 * px, 2 * px);
        pass(g, gray, chroma, at[k], to, 1, ref + (size_t)k * 2 * px, out, 0);
    }
    forward_only(g, chroma, at[nref - 1] + 1, n, out);
    for (int k = nref - 1; k >= 0; k--) {
        int to = k > 0 ? at[k - 1] : -1;
        pass(g, gray, chroma, at[k], to, -1, ref + (size_t)k * 2 * px, out, k > 0);
    }
    return FR_OK;
}
