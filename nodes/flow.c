/* flow.c: the flow plan, frame preparation (normalised pyramids with gradients) and the
 * coarse-to-fine loop. The per-level patch search lives in flow_dis.c.
 *
 * Pyramid geometry: level l+1 is the 2x2 box average of level l (an odd last row or column is
 * dropped), so pixel i of level l+1 is centred on x = 2i + 0.5 of level l. Flow moves between
 * levels with that mapping and is scaled by 2 per level.
 *
 * Normalisation: a frame is mapped to (g - mean) * 40 / max(std, 4) before anything else, so
 * a global change of exposure or gain between two frames (flicker) does not read as motion,
 * and the densification tolerances mean the same on dark and bright frames. The mean and
 * standard deviation are summed serially, row after row, so they do not depend on threads. */
#include "flow_impl.h"
#include "fr_bilinear.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

void fr_flow_opts_default(fr_flow_opts *o)
{
    o->finest_level = 1;
    o->patch = 8;
    o->stride = 4;
    o->iterations = 12;
    o->min_coarse = 16;
    o->threads = 0;
}

int fr_flow_patch_count(int n, int patch, int stride)
{
    if (n <= patch)
        return 1;
    return (n - patch + stride - 1) / stride + 1;
}

/* For every position 0..n-1 along an axis, the patches (by index) whose span covers it. */
static void fill_cover(int n, int patch, int stride, int *cov, int *ncov)
{
    int count = fr_flow_patch_count(n, patch, stride);
    for (int x = 0; x < n; x++)
        ncov[x] = 0;
    for (int i = 0; i < count; i++) {
        int o = i * stride;
        if (o > n - patch)
            o = n - patch;
        for (int x = o; x < o + patch && x < n; x++)
            if (ncov[x] < FR_FLOW_COVER)
                cov[x * FR_FLOW_COVER + ncov[x]++] = i;
    }
}

fr_status fr_flow_new(fr_flow **out, int width, int height, const fr_flow_opts *opts, fr_err *err)
{
    *out = NULL;
    fr_flow_opts o;
    if (opts)
        o = *opts;
    else
        fr_flow_opts_default(&o);
    if (o.patch < 4 || o.patch > 32 || o.stride < 1 || o.stride > o.patch ||
        o.patch / o.stride + 2 > FR_FLOW_COVER)
        return fr_err_set(err, FR_ERR_ARG, "flow: patch %d / stride %d out of range", o.patch,
                          o.stride);
    if (o.iterations < 1 || o.iterations > 200)
        return fr_err_set(err, FR_ERR_ARG, "flow: iterations %d out of range", o.iterations);
    if (o.min_coarse < o.patch)
        o.min_coarse = o.patch;
    if (width < o.patch || height < o.patch || width > 16384 || height > 16384)
        return fr_err_set(err, FR_ERR_ARG, "flow: frame size %dx%d out of range", width, height);
    if (o.finest_level < 0 || o.finest_level >= FR_FLOW_MAX_LEVELS)
        return fr_err_set(err, FR_ERR_ARG, "flow: finest level %d out of range", o.finest_level);

    fr_flow *f = calloc(1, sizeof *f);
    if (!f)
        return fr_err_set(err, FR_ERR_NOMEM, "flow: out of memory");
    f->w[0] = width;
    f->h[0] = height;
    f->nlev = 1;
    while (f->nlev < FR_FLOW_MAX_LEVELS) {
        int w = f->w[f->nlev - 1] / 2, h = f->h[f->nlev - 1] / 2;
        if (w < o.min_coarse || h < o.min_coarse)
            break;
        f->w[f->nlev] = w;
        f->h[f->nlev] = h;
        f->nlev++;
    }
    if (o.finest_level > f->nlev - 1)
        o.finest_level = f->nlev - 1;
    f->o = o;
    f->threads = o.threads > 0 ? o.threads : omp_get_max_threads();
    if (f->threads < 1)
        f->threads = 1;

    size_t px = (size_t)width * height;
    int fl = o.finest_level;
    size_t pxf = (size_t)f->w[fl] * f->h[fl];
    int npatch = fr_flow_patch_count(f->w[fl], o.patch, o.stride) *
                 fr_flow_patch_count(f->h[fl], o.patch, o.stride);
    int maxside = width > height ? width : height;
    f->lvl0 = malloc(px * sizeof(float));
    f->tmp = malloc(px * sizeof(float));
    f->flow_cur = malloc(2 * pxf * sizeof(float));
    f->flow_prev = malloc(2 * pxf * sizeof(float));
    f->patch_uv = malloc(2 * (size_t)npatch * sizeof(float));
    f->patch_d = malloc((size_t)npatch * sizeof(float));
    f->cov_x = malloc((size_t)maxside * FR_FLOW_COVER * sizeof(int));
    f->cov_y = malloc((size_t)maxside * FR_FLOW_COVER * sizeof(int));
    f->ncov_x = malloc((size_t)maxside * sizeof(int));
    f->ncov_y = malloc((size_t)maxside * sizeof(int));
    if (!f->lvl0 || !f->tmp || !f->flow_cur || !f->flow_prev || !f->patch_uv || !f->patch_d ||
        !f->cov_x || !f->cov_y || !f->ncov_x || !f->ncov_y) {
        fr_flow_free(f);
        return fr_err_set(err, FR_ERR_NOMEM, "flow: out of memory for %dx%d", width, height);
    }
    *out = f;
    return FR_OK;
}

void fr_flow_free(fr_flow *f)
{
    if (!f)
        return;
    free(f->lvl0);
    free(f->tmp);
    free(f->flow_cur);
    free(f->flow_prev);
    free(f->patch_uv);
    free(f->patch_d);
    free(f->cov_x);
    free(f->cov_y);
    free(f->ncov_x);
    free(f->ncov_y);
    free(f);
}

fr_status fr_flow_pyr_new(fr_flow_pyr **out, const fr_flow *f, fr_err *err)
{
    *out = NULL;
    fr_flow_pyr *p = calloc(1, sizeof *p);
    if (!p)
        return fr_err_set(err, FR_ERR_NOMEM, "flow: out of memory");
    for (int l = f->o.finest_level; l < f->nlev; l++) {
        size_t n = (size_t)f->w[l] * f->h[l];
        p->lev[l].w = f->w[l];
        p->lev[l].h = f->h[l];
        p->lev[l].img = malloc(n * sizeof(float));
        p->lev[l].gx = malloc(n * sizeof(float));
        p->lev[l].gy = malloc(n * sizeof(float));
        if (!p->lev[l].img || !p->lev[l].gx || !p->lev[l].gy) {
            fr_flow_pyr_free(p);
            return fr_err_set(err, FR_ERR_NOMEM, "flow: out of memory for a pyramid");
        }
    }
    *out = p;
    return FR_OK;
}

void fr_flow_pyr_free(fr_flow_pyr *p)
{
    if (!p)
        return;
    for (int l = 0; l < FR_FLOW_MAX_LEVELS; l++) {
        free(p->lev[l].img);
        free(p->lev[l].gx);
        free(p->lev[l].gy);
    }
    free(p);
}

/* dst (w/2 x h/2) = 2x2 box average of src (w x h). */
static void downsample(const float *src, int w, int h, float *dst, int threads)
{
    int dw = w / 2, dh = h / 2;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int y = 0; y < dh; y++) {
        const float *r0 = src + (size_t)(2 * y) * w, *r1 = r0 + w;
        float *d = dst + (size_t)y * dw;
        for (int x = 0; x < dw; x++)
            d[x] = 0.25f * ((r0[2 * x] + r0[2 * x + 1]) + (r1[2 * x] + r1[2 * x + 1]));
    }
}

/* Sobel gradients / 8 with replicated borders. */
static void gradients(fr_flow_level *L, int threads)
{
    int w = L->w, h = L->h;
    const float *I = L->img;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int y = 0; y < h; y++) {
        const float *up = I + (size_t)(y > 0 ? y - 1 : y) * w;
        const float *md = I + (size_t)y * w;
        const float *dn = I + (size_t)(y < h - 1 ? y + 1 : y) * w;
        float *gx = L->gx + (size_t)y * w, *gy = L->gy + (size_t)y * w;
        for (int x = 0; x < w; x++) {
            int xl = x > 0 ? x - 1 : x, xr = x < w - 1 ? x + 1 : x;
            gx[x] = 0.125f * ((up[xr] - up[xl]) + 2.0f * (md[xr] - md[xl]) + (dn[xr] - dn[xl]));
            gy[x] = 0.125f * ((dn[xl] - up[xl]) + 2.0f * (dn[x] - up[x]) + (dn[xr] - up[xr]));
        }
    }
}

void fr_flow_prepare(fr_flow *f, const uint8_t *gray, ptrdiff_t linesize, fr_flow_pyr *p)
{
    int w = f->w[0], h = f->h[0];
    /* mean and standard deviation, summed in a fixed order */
    double s = 0, s2 = 0;
    for (int y = 0; y < h; y++) {
        const uint8_t *r = gray + y * linesize;
        long rs = 0, rs2 = 0;
        for (int x = 0; x < w; x++) {
            rs += r[x];
            rs2 += (long)r[x] * r[x];
        }
        s += (double)rs;
        s2 += (double)rs2;
    }
    double n = (double)w * h, mean = s / n, var = s2 / n - mean * mean;
    double sd = var > 16.0 ? sqrt(var) : 4.0;
    float scale = (float)(40.0 / sd), off = (float)mean;
    int fl = f->o.finest_level;
    float *dst0 = fl == 0 ? p->lev[0].img : f->lvl0;
#pragma omp parallel for num_threads(f->threads) schedule(static)
    for (int y = 0; y < h; y++) {
        const uint8_t *r = gray + y * linesize;
        float *d = dst0 + (size_t)y * w;
        for (int x = 0; x < w; x++)
            d[x] = ((float)r[x] - off) * scale;
    }
    /* walk down: levels below the finest go through the two scratch planes */
    const float *src = dst0;
    for (int l = 1; l < f->nlev; l++) {
        float *dst = l >= fl ? p->lev[l].img : (src == f->lvl0 ? f->tmp : f->lvl0);
        downsample(src, f->w[l - 1], f->h[l - 1], dst, f->threads);
        src = dst;
    }
    for (int l = fl; l < f->nlev; l++)
        gradients(&p->lev[l], f->threads);
}

/* Bilinear sample of a 2-channel field (w x h) at (x, y), coordinates clamped to the grid. */
static inline void sample2(const float *uv, int w, int h, float x, float y, float *u, float *v)
{
    fr_bilin b = fr_bilin_at(w, h, x, y);
    *u = FR_BILIN(uv, 2, 0, b);
    *v = FR_BILIN(uv, 2, 1, b);
}

/* dst (dw x dh) = src (sw x sh) resampled to a level `factor` times finer, values scaled. */
static void upsample(const float *src, int sw, int sh, float *dst, int dw, int dh, int factor,
                     int threads)
{
    float inv = 1.0f / (float)factor, half = 0.5f * inv - 0.5f, k = (float)factor;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int y = 0; y < dh; y++) {
        float *d = dst + 2 * (size_t)y * dw;
        float sy = (float)y * inv + half;
        for (int x = 0; x < dw; x++) {
            float u, v;
            sample2(src, sw, sh, (float)x * inv + half, sy, &u, &v);
            d[2 * x] = u * k;
            d[2 * x + 1] = v * k;
        }
    }
}

void fr_flow_compute(fr_flow *f, const fr_flow_pyr *a, const fr_flow_pyr *b, float *uv)
{
    int fl = f->o.finest_level, top = f->nlev - 1;
    memset(f->flow_cur, 0, 2 * sizeof(float) * (size_t)f->w[top] * f->h[top]);
    for (int l = top; l >= fl; l--) {
        if (l < top) {
            float *t = f->flow_prev;
            f->flow_prev = f->flow_cur;
            f->flow_cur = t;
            upsample(f->flow_prev, f->w[l + 1], f->h[l + 1], f->flow_cur, f->w[l], f->h[l], 2,
                     f->threads);
        }
        fill_cover(f->w[l], f->o.patch, f->o.stride, f->cov_x, f->ncov_x);
        fill_cover(f->h[l], f->o.patch, f->o.stride, f->cov_y, f->ncov_y);
        fr_flow_dis_level(f, &a->lev[l], &b->lev[l]);
    }
    if (fl == 0)
        memcpy(uv, f->flow_cur, 2 * sizeof(float) * (size_t)f->w[0] * f->h[0]);
    else
        upsample(f->flow_cur, f->w[fl], f->h[fl], uv, f->w[0], f->h[0], 1 << fl, f->threads);
}
