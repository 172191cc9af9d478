/* restore_common.c: the helpers the restoration filters share (see restore_impl.h): checks,
 * the downscaled 8-bit planes and flow slots, warps, robust statistics, the grain level by
 * brightness, and a small block search. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "fr_bilinear.h"
#include "restore_impl.h"

fr_status fr_rs_check(const char *name, int width, int height, int bits, const fr_luma_window *in,
                      const fr_luma_window *out, fr_err *err)
{
    if (!in || !out)
        return fr_err_set(err, FR_ERR_ARG, "%s: no window", name);
    if (in->width != width || in->height != height || out->width != width || out->height != height)
        return fr_err_set(err, FR_ERR_ARG, "%s: window is %dx%d, the filter was opened for %dx%d",
                          name, in->width, in->height, width, height);
    if (in->bits != bits || out->bits != bits)
        return fr_err_set(err, FR_ERR_ARG, "%s: window has %d bits, the filter was opened for %d",
                          name, in->bits, bits);
    if (in->n < 0 || out->n != in->n)
        return fr_err_set(err, FR_ERR_ARG, "%s: %d input frames, %d output frames", name, in->n,
                          out->n);
    if (in->n > 0 && (!in->frame || !out->frame))
        return fr_err_set(err, FR_ERR_ARG, "%s: no frame planes", name);
    for (int i = 0; i < in->n; i++)
        if (!in->frame[i] || !out->frame[i] || in->frame[i] == out->frame[i])
            return fr_err_set(err, FR_ERR_ARG, "%s: frame %d missing or not a separate plane", name,
                              i);
    return FR_OK;
}

int fr_rs_threads(int threads) { return threads > 0 ? threads : omp_get_max_threads(); }

void fr_rs_range(int bits, int full_range, double *black, double *white)
{
    double scale = (double)(1 << (bits - 8));
    if (full_range) {
        *black = 0;
        *white = (double)((1 << bits) - 1);
    } else {
        *black = 16.0 * scale;
        *white = 235.0 * scale;
    }
}

fr_status fr_rs_motion_init(fr_rs_motion *m, int w, int h, int bits, int slots, int threads,
                            fr_err *err)
{
    fr_status st;
    (void)bits;
    memset(m, 0, sizeof *m);
    m->w = w;
    m->h = h;
    m->f = (w + FR_RS_FLOW_SIDE - 1) / FR_RS_FLOW_SIDE;
    if (m->f < 1)
        m->f = 1;
    m->sw = w / m->f;
    m->sh = h / m->f;
    m->slots = slots;
    m->threads = threads;
    fr_flow_opts o;
    fr_flow_opts_default(&o);
    /* search at full size on small planes; on large ones (film at HD and up) stop at half
     * size: grain is averaged out anyway, and the finest level is most of the work */
    o.finest_level = m->sw >= FR_RS_FLOW_HALF ? 1 : 0;
    o.threads = threads;
    if ((st = fr_flow_new(&m->flow, m->sw, m->sh, &o, err)) != FR_OK)
        return fr_err_wrap(err, "restore motion");
    m->pyr = calloc((size_t)slots, sizeof *m->pyr);
    m->key = malloc(sizeof *m->key * (size_t)slots);
    m->src = calloc((size_t)slots, sizeof *m->src);
    m->g8 = malloc((size_t)m->sw * m->sh);
    m->uv = malloc(sizeof(float) * 2 * (size_t)m->sw * m->sh);
    if (!m->pyr || !m->key || !m->src || !m->g8 || !m->uv) {
        fr_rs_motion_release(m);
        return fr_err_set(err, FR_ERR_NOMEM, "restore motion: out of memory");
    }
    for (int i = 0; i < slots; i++) {
        m->key[i] = -1;
        if ((st = fr_flow_pyr_new(&m->pyr[i], m->flow, err)) != FR_OK) {
            fr_rs_motion_release(m);
            return fr_err_wrap(err, "restore motion");
        }
    }
    return FR_OK;
}

void fr_rs_motion_release(fr_rs_motion *m)
{
    if (!m)
        return;
    if (m->pyr)
        for (int i = 0; i < m->slots; i++)
            fr_flow_pyr_free(m->pyr[i]);
    fr_flow_free(m->flow);
    free(m->pyr);
    free(m->key);
    free(m->src);
    free(m->g8);
    free(m->uv);
    memset(m, 0, sizeof *m);
}

void fr_rs_motion_reset(fr_rs_motion *m)
{
    for (int i = 0; i < m->slots; i++) {
        m->key[i] = -1;
        m->src[i] = NULL;
    }
}

static fr_flow_pyr *prepared(fr_rs_motion *m, const fr_luma_window *win, int idx)
{
    int s = idx % m->slots;
    if (m->key[s] != idx || m->src[s] != win->frame[idx]) {
        fr_rs_gray8(win->frame[idx], m->w, m->h, win->bits, m->f, m->g8, m->threads);
        fr_flow_prepare(m->flow, m->g8, m->sw, m->pyr[s]);
        m->key[s] = idx;
        m->src[s] = win->frame[idx];
    }
    return m->pyr[s];
}

void fr_rs_motion_flow(fr_rs_motion *m, const fr_luma_window *win, int a, int b, float *out)
{
    fr_flow_pyr *pa = prepared(m, win, a);
    fr_flow_pyr *pb = prepared(m, win, b);
    fr_flow_compute(m->flow, pa, pb, out);
}

void fr_rs_gray8(const uint16_t *src, int w, int h, int bits, int f, uint8_t *dst, int threads)
{
    int dw = w / f, dh = h / f, sh = bits - 8;
    unsigned area = (unsigned)(f * f);
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int y = 0; y < dh; y++) {
        for (int x = 0; x < dw; x++) {
            unsigned s = 0;
            for (int j = 0; j < f; j++) {
                const uint16_t *r = src + (size_t)(y * f + j) * w + (size_t)x * f;
                for (int i = 0; i < f; i++)
                    s += r[i];
            }
            unsigned v = ((s + area / 2) / area) >> sh;
            dst[(size_t)y * dw + x] = (uint8_t)(v > 255 ? 255 : v);
        }
    }
}

void fr_rs_warp(const uint16_t *src, int w, int h, const float *uv, int sw, int sh, int f,
                float *dst, int threads)
{
    float inv = 1.0f / (float)f, half = 0.5f * inv - 0.5f, k = (float)f;
    float xm = (float)(sw - 1), ym = (float)(sh - 1);
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int y = 0; y < h; y++) {
        /* the flow's row at this y, once (vertical step first), then per pixel along x */
        float row[2 * FR_RS_FLOW_SIDE + 2];
        float sy = (float)y * inv + half;
        sy = sy > 0.0f ? (sy < ym ? sy : ym) : 0.0f;
        int y0 = (int)sy, y1 = y0 < sh - 1 ? y0 + 1 : y0;
        float fy = sy - (float)y0;
        const float *r0 = uv + (size_t)y0 * sw * 2, *r1 = uv + (size_t)y1 * sw * 2;
        for (int i = 0; i < 2 * sw; i++)
            row[i] = r0[i] + fy * (r1[i] - r0[i]);
        float *d = dst + (size_t)y * w;
        for (int x = 0; x < w; x++) {
            float sx = (float)x * inv + half;
            sx = sx > 0.0f ? (sx < xm ? sx : xm) : 0.0f;
            int x0 = (int)sx, x1 = x0 < sw - 1 ? x0 + 1 : x0;
            float fx = sx - (float)x0;
            float u = row[2 * x0] + fx * (row[2 * x1] - row[2 * x0]);
            float v = row[2 * x0 + 1] + fx * (row[2 * x1 + 1] - row[2 * x0 + 1]);
            float px = (float)x + k * u, py = (float)y + k * v;
            if (!(px > -0.5f && px < (float)w - 0.5f && py > -0.5f && py < (float)h - 0.5f)) {
                d[x] = FR_RS_INVALID;
                continue;
            }
            fr_bilin s = fr_bilin_at(w, h, px, py);
            d[x] = FR_BILIN(src, 1, 0, s);
        }
    }
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

float fr_rs_median(float *v, int n)
{
    if (n <= 0)
        return 0;
    if (n <= 16) {
        qsort(v, (size_t)n, sizeof *v, cmp_float);
        return v[n / 2];
    }
    int lo = 0, hi = n - 1, k = n / 2;
    while (lo < hi) {
        float p = v[(lo + hi) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (v[i] < p)
                i++;
            while (v[j] > p)
                j--;
            if (i <= j) {
                float t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            break;
    }
    return v[k];
}

/* The centre of cell g of a grid of n cells over a side of len pixels: where the grain
 * estimates sample. */
static inline int grid_at(int g, int len, int n) { return (int)(((long)g * 2 + 1) * len / (2 * n)); }

#define NOISE_SAMPLES 4096

double fr_rs_noise_pair(const uint16_t *a, const float *b, int w, int h)
{
    static const int grid = 64;
    float d[NOISE_SAMPLES];
    int n = 0;
    for (int gy = 0; gy < grid; gy++)
        for (int gx = 0; gx < grid; gx++) {
            int x = grid_at(gx, w, grid), y = grid_at(gy, h, grid);
            size_t i = (size_t)y * w + x;
            if (b[i] == FR_RS_INVALID)
                continue;
            d[n++] = (float)a[i] - b[i];
        }
    if (n < 16)
        return 0;
    float med = fr_rs_median(d, n);
    for (int i = 0; i < n; i++)
        d[i] = fabsf(d[i] - med);
    return 1.4826 * fr_rs_median(d, n) / sqrt(2.0);
}

void fr_rs_match(const uint16_t *a, const float *b, int w, int h, double *gain, double *offset)
{
    double sa = 0, sb = 0, saa = 0, sbb = 0;
    long n = 0;
    int step = 1 + (int)sqrt((double)w * h / 65536.0);
    for (int y = step / 2; y < h; y += step)
        for (int x = step / 2; x < w; x += step) {
            size_t i = (size_t)y * w + x;
            if (b[i] == FR_RS_INVALID)
                continue;
            double va = a[i], vb = b[i];
            sa += va;
            sb += vb;
            saa += va * va;
            sbb += vb * vb;
            n++;
        }
    *gain = 1;
    *offset = 0;
    if (n < 16)
        return;
    double ma = sa / n, mb = sb / n;
    double va = saa / n - ma * ma, vb = sbb / n - mb * mb;
    double g = (va > 1 && vb > 1) ? sqrt(va / vb) : 1;
    if (g < 0.5)
        g = 0.5;
    if (g > 2)
        g = 2;
    *gain = g;
    *offset = ma - g * mb;
}

/* The sample buffer's layout for the grain curves: all samples first (2 grid^2), then one
 * run of grid^2 a brightness band. */
static void band_bins(float *sample, float **bins)
{
    for (int b = 0; b < FR_RS_BINS; b++)
        bins[b] = sample + (size_t)(b + 2) * FR_RS_NGRID * FR_RS_NGRID;
}

/* Each band's grain level, mul * median / div of its absolute samples (the whole frame's
 * where a band has under 48), never under 0.3 of an 8-bit level. */
static void bands_sigma(float *all, int na, float *const *bins, const int *cnt, int bits, double mul, double div,
                        double *sig)
{
    double q = (double)(1 << (bits - 8)), global = na >= 16 ? mul * fr_rs_median(all, na) / div : q;
    if (global < 0.3 * q)
        global = 0.3 * q;
    for (int b = 0; b < FR_RS_BINS; b++) {
        double v = cnt[b] >= 48 ? mul * fr_rs_median(bins[b], cnt[b]) / div : global;
        sig[b] = v < 0.3 * q ? 0.3 * q : v;
    }
}

void fr_rs_noise_curve(const uint16_t *I, int w, int h, int bits, float *const *wp, int nw, float *sample,
                       double *sig)
{
    const int grid = FR_RS_NGRID;
    int cnt[FR_RS_BINS] = {0}, na = 0, shift = bits - 3;
    float *all = sample, *bins[FR_RS_BINS];
    band_bins(sample, bins);
    for (int gy = 0; gy < grid; gy++)
        for (int gx = 0; gx < grid; gx++) {
            int x = grid_at(gx, w, grid), y = grid_at(gy, h, grid);
            size_t i = (size_t)y * w + x;
            for (int k = 0; k < nw && k < 2; k++) {
                float v = wp[k][i];
                if (v == FR_RS_INVALID || na >= 2 * grid * grid)
                    continue;
                int b = I[i] >> shift;
                float r = fabsf((float)I[i] - v);
                all[na++] = r;
                bins[b][cnt[b]++] = r;
            }
        }
    bands_sigma(all, na, bins, cnt, bits, 1.4826, sqrt(2.0), sig);
}

void fr_rs_noise_spatial(const uint16_t *I, int w, int h, int bits, float *sample, double *sig)
{
    const int grid = FR_RS_NGRID;
    int cnt[FR_RS_BINS] = {0}, na = 0, shift = bits - 3;
    float *all = sample, *bins[FR_RS_BINS];
    band_bins(sample, bins);
    for (int gy = 0; gy < grid; gy++)
        for (int gx = 0; gx < grid; gx++) {
            int x = grid_at(gx, w, grid), y = grid_at(gy, h, grid);
            if (x < 1 || y < 1 || x > w - 2 || y > h - 2)
                continue;
            size_t i = (size_t)y * w + x;
            float r = (float)abs(fr_rs_laplace(I, w, i));
            int b = I[i] >> shift;
            all[na++] = r;
            bins[b][cnt[b]++] = r;
        }
    bands_sigma(all, na, bins, cnt, bits, 1.4826 / sqrt(20.0), 1.0, sig);
}
