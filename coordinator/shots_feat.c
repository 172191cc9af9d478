/* shots_feat.c: thumbnails of frames and the measures between them, for the
 * shot detector (see shots_feat.h).
 *
 * Cost matters: the detector must cost under a tenth of decoding. So the box
 * average reads each sampled row once into a row of column sums (a loop the
 * compiler vectorises), sampling at most FR_ROWS_PER_CELL rows per grid row on
 * tall pictures; everything after that works on the grid alone (about 3,000
 * cells), whatever the picture size. */
#include "shots_feat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FR_ROWS_PER_CELL 8   /* rows sampled per grid row, at most */
#define FR_EDGE_Z 0.9f       /* |gradient| (in units of the frame's contrast) of an edge */

struct fr_thumber {
    int gw, gh;           /* grid size */
    float flat_sigma;     /* contrast under which a frame is blank */
    int width, height;    /* picture size the tables below were made for (0: none) */
    int *x0;              /* gw+1 column bounds of the cells */
    int *y0;              /* gh+1 row bounds of the cells */
    uint32_t *acc;        /* width column sums of one grid row */
    float *cell;          /* gw*gh raw cell means, 0..1 */
};

void fr_thumb_grid_size(int width, int height, int grid, int *gw, int *gh)
{
    int w = grid, h = grid;
    if (width >= height)
        h = (int)lround((double)grid * height / width);
    else
        w = (int)lround((double)grid * width / height);
    if (w > width / 2) w = width / 2;
    if (h > height / 2) h = height / 2;
    *gw = w < 4 ? 4 : w;
    *gh = h < 4 ? 4 : h;
}

fr_status fr_thumber_new(fr_thumber **out, int gw, int gh, float flat_sigma, fr_err *err)
{
    *out = NULL;
    fr_thumber *t = calloc(1, sizeof *t);
    if (!t)
        return fr_err_set(err, FR_ERR_NOMEM, "shot detector: out of memory");
    t->gw = gw;
    t->gh = gh;
    t->flat_sigma = flat_sigma;
    t->x0 = calloc((size_t)gw + 1, sizeof *t->x0);
    t->y0 = calloc((size_t)gh + 1, sizeof *t->y0);
    t->cell = calloc((size_t)gw * gh, sizeof *t->cell);
    if (!t->x0 || !t->y0 || !t->cell) {
        fr_thumber_free(t);
        return fr_err_set(err, FR_ERR_NOMEM, "shot detector: out of memory");
    }
    *out = t;
    return FR_OK;
}

void fr_thumber_free(fr_thumber *t)
{
    if (!t)
        return;
    free(t->x0);
    free(t->y0);
    free(t->acc);
    free(t->cell);
    free(t);
}

fr_status fr_thumb_alloc(fr_thumb *th, int cells, fr_err *err)
{
    memset(th, 0, sizeof *th);
    th->z = calloc((size_t)cells, sizeof *th->z);
    th->edge = calloc((size_t)cells, 1);
    th->near = calloc((size_t)cells, 1);
    if (!th->z || !th->edge || !th->near) {
        fr_thumb_release(th);
        return fr_err_set(err, FR_ERR_NOMEM, "shot detector: out of memory");
    }
    return FR_OK;
}

void fr_thumb_release(fr_thumb *th)
{
    if (!th)
        return;
    free(th->z);
    free(th->edge);
    free(th->near);
    memset(th, 0, sizeof *th);
}

void fr_thumb_copy(fr_thumb *dst, const fr_thumb *src, int cells)
{
    dst->mean = src->mean;
    dst->sigma = src->sigma;
    dst->flat = src->flat;
    dst->edges = src->edges;
    memcpy(dst->hist, src->hist, sizeof dst->hist);
    memcpy(dst->z, src->z, (size_t)cells * sizeof *dst->z);
    memcpy(dst->edge, src->edge, (size_t)cells);
    memcpy(dst->near, src->near, (size_t)cells);
}

static fr_status size_tables(fr_thumber *t, int width, int height, fr_err *err)
{
    if (t->width == width && t->height == height)
        return FR_OK;
    uint32_t *acc = realloc(t->acc, (size_t)width * sizeof *acc);
    if (!acc)
        return fr_err_set(err, FR_ERR_NOMEM, "shot detector: out of memory");
    t->acc = acc;
    for (int i = 0; i <= t->gw; i++)
        t->x0[i] = (int)((int64_t)i * width / t->gw);
    for (int i = 0; i <= t->gh; i++)
        t->y0[i] = (int)((int64_t)i * height / t->gh);
    t->width = width;
    t->height = height;
    return FR_OK;
}

/* Adds sampled rows [y0, y1) of an 8-bit plane into acc. */
static void sum_rows8(const fr_plane *p, int y0, int y1, int step, uint32_t *restrict acc)
{
    const int w = p->width;
    for (int y = y0; y < y1; y += step) {
        const uint8_t *restrict row = p->data + (ptrdiff_t)y * p->linesize;
        for (int x = 0; x < w; x++)
            acc[x] += row[x];
    }
}

static void sum_rows16(const fr_plane *p, int y0, int y1, int step, uint32_t *restrict acc)
{
    const int w = p->width;
    for (int y = y0; y < y1; y += step) {
        const uint16_t *restrict row = (const uint16_t *)(p->data + (ptrdiff_t)y * p->linesize);
        for (int x = 0; x < w; x++)
            acc[x] += row[x];
    }
}

static void box_average(fr_thumber *t, const fr_plane *p)
{
    const float maxv = (float)((1u << p->bits) - 1u);
    for (int cy = 0; cy < t->gh; cy++) {
        int y0 = t->y0[cy], y1 = t->y0[cy + 1];
        int step = (y1 - y0 + FR_ROWS_PER_CELL - 1) / FR_ROWS_PER_CELL;
        if (step < 1)
            step = 1;
        int rows = (y1 - y0 + step - 1) / step;
        memset(t->acc, 0, (size_t)p->width * sizeof *t->acc);
        if (p->bits > 8)
            sum_rows16(p, y0, y1, step, t->acc);
        else
            sum_rows8(p, y0, y1, step, t->acc);
        for (int cx = 0; cx < t->gw; cx++) {
            uint64_t s = 0;
            for (int x = t->x0[cx]; x < t->x0[cx + 1]; x++)
                s += t->acc[x];
            int n = (t->x0[cx + 1] - t->x0[cx]) * rows;
            t->cell[cy * t->gw + cx] = (float)s / ((float)n * maxv);
        }
    }
}

static void histogram(fr_thumb *th, int cells)
{
    memset(th->hist, 0, sizeof th->hist);
    const float scale = (FR_SHOTS_BINS - 1) / 4.0f;
    for (int i = 0; i < cells; i++) {
        float v = (th->z[i] + 2.0f) * scale;
        if (v < 0) v = 0;
        if (v > FR_SHOTS_BINS - 1) v = FR_SHOTS_BINS - 1;
        int b = (int)v;
        float f = v - (float)b;
        if (b >= FR_SHOTS_BINS - 1) {
            th->hist[FR_SHOTS_BINS - 1] += 1.0f;
        } else {
            th->hist[b] += 1.0f - f;
            th->hist[b + 1] += f;
        }
    }
    for (int b = 0; b < FR_SHOTS_BINS; b++)
        th->hist[b] /= (float)cells;
}

static void edges(fr_thumb *th, int gw, int gh)
{
    const float *z = th->z;
    memset(th->edge, 0, (size_t)gw * gh);
    memset(th->near, 0, (size_t)gw * gh);
    int n = 0;
    for (int y = 1; y < gh - 1; y++)
        for (int x = 1; x < gw - 1; x++) {
            int i = y * gw + x;
            float gx = z[i + 1] - z[i - 1], gy = z[i + gw] - z[i - gw];
            if (fabsf(gx) + fabsf(gy) > 2.0f * FR_EDGE_Z) {
                th->edge[i] = 1;
                n++;
            }
        }
    for (int y = 1; y < gh - 1; y++)
        for (int x = 1; x < gw - 1; x++) {
            int i = y * gw + x;
            if (!th->edge[i])
                continue;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++)
                    th->near[i + dy * gw + dx] = 1;
        }
    th->edges = n;
}

fr_status fr_thumb_make(fr_thumber *t, const fr_plane *luma, fr_thumb *th, fr_err *err)
{
    if (!luma || !luma->data || luma->width < 8 || luma->height < 8 || luma->bits < 1 ||
        luma->bits > 16)
        return fr_err_set(err, FR_ERR_ARG, "shot detector: luma plane missing or too small");
    fr_status st = size_tables(t, luma->width, luma->height, err);
    if (st != FR_OK)
        return st;
    box_average(t, luma);
    const int cells = t->gw * t->gh;
    double s = 0, ss = 0;
    for (int i = 0; i < cells; i++)
        s += t->cell[i];
    double mean = s / cells;
    for (int i = 0; i < cells; i++) {
        double d = t->cell[i] - mean;
        ss += d * d;
    }
    double sigma = sqrt(ss / cells);
    th->mean = (float)mean;
    th->sigma = (float)sigma;
    th->flat = sigma < t->flat_sigma;
    float inv = th->flat ? 0.0f : (float)(1.0 / sigma);
    for (int i = 0; i < cells; i++)
        th->z[i] = (t->cell[i] - (float)mean) * inv;
    histogram(th, cells);
    edges(th, t->gw, t->gh);
    return FR_OK;
}

/* Mean over inner cells of the smallest |b - a| among a's 3x3 neighbourhood. */
static float matched_change(const float *a, const float *b, int gw, int gh)
{
    double sum = 0;
    for (int y = 1; y < gh - 1; y++) {
        for (int x = 1; x < gw - 1; x++) {
            const float v = b[y * gw + x];
            const float *r = a + (y - 1) * gw + x - 1;
            float m = fabsf(v - r[0]);
            for (int dy = 0; dy < 3; dy++, r += gw)
                for (int dx = 0; dx < 3; dx++) {
                    float d = fabsf(v - r[dx]);
                    m = d < m ? d : m;
                }
            sum += m;
        }
    }
    return (float)(sum / ((double)(gw - 2) * (gh - 2)));
}

static float edge_change(const fr_thumb *a, const fr_thumb *b, int cells)
{
    int out = 0, in = 0;
    for (int i = 0; i < cells; i++) {
        out += a->edge[i] & !b->near[i];
        in += b->edge[i] & !a->near[i];
    }
    float ro = a->edges ? (float)out / (float)a->edges : 0.0f;
    float ri = b->edges ? (float)in / (float)b->edges : 0.0f;
    /* too few edges to judge: count it as half-changed only if one side has them */
    if (a->edges + b->edges < 8)
        return 0.0f;
    return ro > ri ? ro : ri;
}

void fr_thumb_distance(const fr_thumb *a, const fr_thumb *b, int gw, int gh, fr_thumb_dist *out)
{
    const int cells = gw * gh;
    out->pix = matched_change(a->z, b->z, gw, gh);
    float h = 0;
    for (int i = 0; i < FR_SHOTS_BINS; i++)
        h += fabsf(a->hist[i] - b->hist[i]);
    out->hist = 0.5f * h;
    out->ecr = edge_change(a, b, cells);
    out->d = (out->pix + out->hist + out->ecr) / 3.0f;
}

void fr_thumb_blend_fit(const fr_thumb *first, const fr_thumb *mid, const fr_thumb *last,
                        int cells, fr_thumb_blend *out)
{
    double ab = 0, am = 0, bm = 0;
    for (int i = 0; i < cells; i++) {
        ab += (double)first->z[i] * last->z[i];
        am += (double)first->z[i] * mid->z[i];
        bm += (double)last->z[i] * mid->z[i];
    }
    double rab = ab / cells, ram = am / cells, rbm = bm / cells;
    double det = 1.0 - rab * rab;
    out->a = out->b = 0;
    out->gain = 0;
    if (det < 1e-3)
        return;
    double a = (ram - rab * rbm) / det, b = (rbm - rab * ram) / det;
    double resid = 1.0 - (a * ram + b * rbm);
    double single = fmin(1.0 - ram * ram, 1.0 - rbm * rbm);
    out->a = (float)a;
    out->b = (float)b;
    out->gain = single > 1e-6 ? (float)(1.0 - resid / single) : 0.0f;
}
