/* restore_dust_search.c: the dust stage's search for a moving object: a region the flow lost
 * is still somewhere near in the frames around, unwarped; dust, in one frame only, is not.
 * See restore_dust.c. */
#include <math.h>
#include <stddef.h>

#include "restore_dust_impl.h"

/* Best normalised cross-correlation between the pixels idx (m of them) of frame a and frame
 * b shifted by up to range pixels each way (every shift that stays inside b): 1 where b
 * shows the same pattern, whatever its brightness and contrast. Integer sums, serial. */
static double best_ncc(const uint16_t *a, const uint16_t *b, int w, int h, const int32_t *idx, int m, int range)
{
    int x0 = w, y0 = h, x1 = -1, y1 = -1;
    int64_t sa = 0, saa = 0;
    for (int i = 0; i < m; i++) {
        int x = idx[i] % w, y = idx[i] / w;
        x0 = x < x0 ? x : x0;
        x1 = x > x1 ? x : x1;
        y0 = y < y0 ? y : y0;
        y1 = y > y1 ? y : y1;
        sa += a[idx[i]];
        saa += (int64_t)a[idx[i]] * a[idx[i]];
    }
    double va = (double)m * (double)saa - (double)sa * (double)sa, best = -1;
    if (va <= 0)
        return 1; /* flat: nothing to tell it from */
    for (int dy = -range; dy <= range; dy++)
        for (int dx = -range; dx <= range; dx++) {
            if (x0 + dx < 0 || y0 + dy < 0 || x1 + dx >= w || y1 + dy >= h)
                continue;
            const uint16_t *bs = b + (ptrdiff_t)dy * w + dx;
            int64_t sb = 0, sbb = 0, sab = 0;
            for (int i = 0; i < m; i++) {
                int64_t u = a[idx[i]], v = bs[idx[i]];
                sb += v;
                sbb += v * v;
                sab += u * v;
            }
            double vb = (double)m * (double)sbb - (double)sb * (double)sb;
            if (vb <= 0)
                continue;
            double c = ((double)m * (double)sab - (double)sa * (double)sb) / sqrt(va * vb);
            if (c > best)
                best = c;
        }
    return best;
}

/* Whether frame b, shifted by up to range pixels, shows the blob of frame a: the core
 * stands out from the ring the same way (sign sg) by at least half as much, and either its
 * pixels (core, nc of them) and a 1-pixel ring (ring, nr) correlate by DU_NCC or more (a
 * small object over texture that a 2-pixel margin would drown), or the core's pixels are
 * the same to within copy_tol on average (a codec that kept a block of the frame before
 * while the picture around it moved on). Integer sums, serial. */
static int blob_near(const uint16_t *a, const uint16_t *b, int w, int h, const int32_t *core, int nc,
                     const int32_t *ring, int nr, int sg, int range, double copy_tol)
{
    int x0 = w, y0 = h, x1 = -1, y1 = -1, m = nc + nr;
    int64_t sa = 0, saa = 0, ca = 0;
    for (int i = 0; i < m; i++) {
        int32_t k = i < nc ? core[i] : ring[i - nc];
        int x = k % w, y = k / w;
        x0 = x < x0 ? x : x0;
        x1 = x > x1 ? x : x1;
        y0 = y < y0 ? y : y0;
        y1 = y > y1 ? y : y1;
        sa += a[k];
        saa += (int64_t)a[k] * a[k];
        if (i < nc)
            ca += a[k];
    }
    double va = (double)m * (double)saa - (double)sa * (double)sa;
    /* the core's contrast against the ring, times nc * nr */
    double c0 = sg * ((double)ca * nr - (double)(sa - ca) * nc);
    if (va <= 0 || c0 <= 0 || nr == 0)
        return 0;
    for (int dy = -range; dy <= range; dy++)
        for (int dx = -range; dx <= range; dx++) {
            if (x0 + dx < 0 || y0 + dy < 0 || x1 + dx >= w || y1 + dy >= h)
                continue;
            const uint16_t *bs = b + (ptrdiff_t)dy * w + dx;
            int64_t sb = 0, sbb = 0, sab = 0, cb = 0, sad = 0;
            for (int i = 0; i < m; i++) {
                int32_t k = i < nc ? core[i] : ring[i - nc];
                int64_t u = a[k], v = bs[k];
                sb += v;
                sbb += v * v;
                sab += u * v;
                if (i < nc) {
                    cb += v;
                    sad += u > v ? u - v : v - u;
                }
            }
            double vb = (double)m * (double)sbb - (double)sb * (double)sb;
            if (vb <= 0 || sg * ((double)cb * nr - (double)(sb - cb) * nc) < 0.5 * c0)
                continue;
            if ((double)sad <= copy_tol * nc) /* the same pixels: copied, not dust */
                return 1;
            if ((double)m * (double)sab - (double)sa * (double)sb >= DU_NCC * sqrt(va * vb))
                return 1;
        }
    return 0;
}

/* A moving object the flow lost is still somewhere near in the two frames j is checked
 * against, unwarped: the defect's pixels and margin (idx) correlate with a shifted patch
 * there (by DU_NCC, lowered towards DU_NCC_LOOSE as loose goes from 0 to 1, and at most
 * DU_NCC_EDGE at a window's edge), or its blob (core and ring) is found there. Dust, in one
 * frame only, is in neither. */
int du_found_elsewhere(const fr_luma_window *in, int j, int ra, int rb, int w, int h, const int32_t *idx,
                       int m, const int32_t *core, int nc, const int32_t *ring, int nr, int sg,
                       double copy_tol, double loose)
{
    int ref[2] = {ra, rb};
    double thr = DU_NCC - (DU_NCC - DU_NCC_LOOSE) * loose;
    if ((j == 0 || j == in->n - 1) && thr > DU_NCC_EDGE)
        thr = DU_NCC_EDGE;
    for (int k = 0; k < 2; k++)
        if (best_ncc(in->frame[j], in->frame[ref[k]], w, h, idx, m, DU_SEARCH) >= thr ||
            blob_near(in->frame[j], in->frame[ref[k]], w, h, core, nc, ring, nr, sg, DU_SEARCH, copy_tol))
            return 1;
    return 0;
}
