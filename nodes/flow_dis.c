/* flow_dis.c: one pyramid level of the dense inverse search (DIS-like) flow.
 *
 * 1. Patch search. Patches of `patch` x `patch` pixels of frame a lie on a grid with origins
 *    min(i*stride, n - patch). Each starts from the dense flow at its centre (the upsampled
 *    result of the coarser level) and is refined by inverse-compositional Lucas-Kanade: the
 *    Hessian comes from a's gradients once, and each iteration samples b at the current flow,
 *    removes the mean difference (brightness robustness), and steps by H^-1 * sum(g * r). A
 *    patch whose final zero-mean error is worse than its starting error, or that ran further
 *    than one patch side away, keeps its starting flow.
 * 2. Densification. Every pixel blends the flows of the patches covering it, each weighted by
 *    1 / max(1, |b(x + u) - a(x) - d|) where d is that patch's mean difference, so a patch that
 *    straddles a motion boundary counts little on the side it does not explain.
 * Patches are searched by patch rows and pixels are blended by rows, in parallel; every value is
 * produced by exactly one thread from read-only inputs, so threads never change the result. */
#include "flow_impl.h"
#include "fr_bilinear.h"

#include <math.h>

/* Bilinear sample of a plane (w x h) at (x, y) with coordinates clamped into it. */
static inline float sample1(const float *I, int w, int h, float x, float y)
{
    fr_bilin b = fr_bilin_at(w, h, x, y);
    return FR_BILIN(I, 1, 0, b);
}

#define MAXP 32

/* Zero-mean sum of squared differences between the template t (P*P values) and b sampled at
 * the patch shifted by (u, v); stores the residuals (b - t, mean removed) in r and the mean.
 * The shift is the same for the whole patch, so the bilinear weights are too: a patch whose
 * samples all fall inside b takes the fast path with no clamping. */
static float patch_residual(const fr_flow_level *b, int ox, int oy, int P, const float *t,
                            float u, float v, float *r, float *mean)
{
    float sum = 0;
    float fx0 = (float)ox + u, fy0 = (float)oy + v;
    int n = P * P;
    if (fx0 >= 0 && fy0 >= 0 && fx0 + (float)P < (float)(b->w - 1) &&
        fy0 + (float)P < (float)(b->h - 1)) {
        int x0 = (int)fx0, y0 = (int)fy0;
        float ax = fx0 - (float)x0, ay = fy0 - (float)y0;
        for (int j = 0; j < P; j++) {
            const float *r0 = b->img + (size_t)(y0 + j) * b->w + x0, *r1 = r0 + b->w;
            for (int i = 0; i < P; i++) {
                float top = r0[i] + ax * (r0[i + 1] - r0[i]);
                float bot = r1[i] + ax * (r1[i + 1] - r1[i]);
                float d = top + ay * (bot - top) - t[j * P + i];
                r[j * P + i] = d;
                sum += d;
            }
        }
    } else {
        for (int j = 0; j < P; j++) {
            float y = (float)(oy + j) + v;
            for (int i = 0; i < P; i++) {
                float d = sample1(b->img, b->w, b->h, (float)(ox + i) + u, y) - t[j * P + i];
                r[j * P + i] = d;
                sum += d;
            }
        }
    }
    float m = sum / (float)n, ssd = 0;
    for (int k = 0; k < n; k++) {
        r[k] -= m;
        ssd += r[k] * r[k];
    }
    *mean = m;
    return ssd;
}

static void search_patch(const fr_flow *f, const fr_flow_level *a, const fr_flow_level *b,
                         int ox, int oy, float *uv_out, float *d_out)
{
    int P = f->o.patch, n = P * P, w = a->w;
    float t[MAXP * MAXP], gx[MAXP * MAXP], gy[MAXP * MAXP], r[MAXP * MAXP];
    float mgx = 0, mgy = 0;
    for (int j = 0; j < P; j++)
        for (int i = 0; i < P; i++) {
            size_t k = (size_t)(oy + j) * w + ox + i;
            t[j * P + i] = a->img[k];
            gx[j * P + i] = a->gx[k];
            gy[j * P + i] = a->gy[k];
            mgx += a->gx[k];
            mgy += a->gy[k];
        }
    mgx /= (float)n;
    mgy /= (float)n;
    float hxx = 0, hxy = 0, hyy = 0;
    for (int k = 0; k < n; k++) {
        gx[k] -= mgx;
        gy[k] -= mgy;
        hxx += gx[k] * gx[k];
        hxy += gx[k] * gy[k];
        hyy += gy[k] * gy[k];
    }
    /* a little regularisation keeps flat or one-directional patches near their start */
    float reg = 1e-3f * (hxx + hyy) + 0.05f * (float)n;
    hxx += reg;
    hyy += reg;
    float det = hxx * hyy - hxy * hxy;

    const float *init = f->flow_cur + 2 * ((size_t)(oy + P / 2) * w + ox + P / 2);
    float u0 = init[0], v0 = init[1], u = u0, v = v0, mean0, mean;
    float ssd0 = patch_residual(b, ox, oy, P, t, u, v, r, &mean0);
    float ssd = ssd0;
    mean = mean0;
    for (int it = 0; it < f->o.iterations; it++) {
        float bx = 0, by = 0;
        for (int k = 0; k < n; k++) {
            bx += gx[k] * r[k];
            by += gy[k] * r[k];
        }
        float du = (hyy * bx - hxy * by) / det, dv = (hxx * by - hxy * bx) / det;
        u -= du;
        v -= dv;
        ssd = patch_residual(b, ox, oy, P, t, u, v, r, &mean);
        if (du * du + dv * dv < 1e-4f)
            break;
    }
    float ddu = u - u0, ddv = v - v0;
    if (!(ssd <= ssd0) || ddu * ddu + ddv * ddv > (float)(P * P)) {
        u = u0;
        v = v0;
        mean = mean0;
    }
    uv_out[0] = u;
    uv_out[1] = v;
    *d_out = mean;
}

void fr_flow_dis_level(fr_flow *f, const fr_flow_level *a, const fr_flow_level *b)
{
    int w = a->w, h = a->h, P = f->o.patch, S = f->o.stride;
    int nx = fr_flow_patch_count(w, P, S), ny = fr_flow_patch_count(h, P, S);

#pragma omp parallel for num_threads(f->threads) schedule(static)
    for (int py = 0; py < ny; py++) {
        int oy = py * S < h - P ? py * S : h - P;
        for (int px = 0; px < nx; px++) {
            int ox = px * S < w - P ? px * S : w - P;
            int k = py * nx + px;
            search_patch(f, a, b, ox, oy, f->patch_uv + 2 * k, f->patch_d + k);
        }
    }

#pragma omp parallel for num_threads(f->threads) schedule(static)
    for (int y = 0; y < h; y++) {
        const int *cy = f->cov_y + (size_t)y * FR_FLOW_COVER;
        int ncy = f->ncov_y[y];
        const float *arow = a->img + (size_t)y * w;
        float *out = f->flow_cur + 2 * (size_t)y * w;
        for (int x = 0; x < w; x++) {
            const int *cx = f->cov_x + (size_t)x * FR_FLOW_COVER;
            int ncx = f->ncov_x[x];
            float su = 0, sv = 0, sw = 0;
            for (int j = 0; j < ncy; j++)
                for (int i = 0; i < ncx; i++) {
                    int k = cy[j] * nx + cx[i];
                    float u = f->patch_uv[2 * k], v = f->patch_uv[2 * k + 1];
                    float e = sample1(b->img, w, h, (float)x + u, (float)y + v) - arow[x] -
                              f->patch_d[k];
                    e = fabsf(e);
                    float lam = 1.0f / (e > 1.0f ? e : 1.0f);
                    su += lam * u;
                    sv += lam * v;
                    sw += lam;
                }
            out[2 * x] = su / sw;
            out[2 * x + 1] = sv / sw;
        }
    }
}
