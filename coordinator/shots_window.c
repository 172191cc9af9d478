/* shots_window.c: the shot detector's window test for cuts (detector 2), which the cut
 * stage (shots_cut.c) asks about a change too small to be a cut by itself.
 *
 * Damage (grain, dust, flicker's residue) adds the same noise to every frame-to-frame
 * change, and a cut between two alike pictures (two night views of lit towers, fog,
 * two framings of one scene) hides under it. The test compares windows of frames instead
 * of frames: each window is the cell-wise median of 3 consecutive coarse maps (a one-frame
 * dust spot or flash is gone, grain shrinks), and two windows are compared by the best
 * correlation of their structure within one coarse cell of shift (gate weave), which is
 * blind to how much contrast either has. Four windows in a row, A B | C D, with frame t
 * opening C: a cut makes B and C differ far more than A and B, or C and D, which lie
 * in one shot each. Motion and flicker change all three pairs alike; a dissolve changes
 * them alike too. */
#include "shots_internal.h"

#define FR_WIN 3 /* frames in a window */

/* The cell-wise median of the coarse maps of frames t0..t0+2, into out; 0 when one of
 * them is missing or blank. */
static int window(fr_shots *s, int64_t t0, int cn, float *out)
{
    if (t0 < 0 || t0 + FR_WIN - 1 > s->n - 1)
        return 0;
    for (int64_t j = t0; j < t0 + FR_WIN; j++)
        if (blank(s, at(s, j)) || dim(s, at(s, j)))
            return 0;
    const float *a = at(s, t0)->coarse, *b = at(s, t0 + 1)->coarse, *c = at(s, t0 + 2)->coarse;
    for (int i = 0; i < cn; i++) {
        float lo = a[i] < b[i] ? a[i] : b[i], hi = a[i] < b[i] ? b[i] : a[i];
        out[i] = c[i] < lo ? lo : c[i] > hi ? hi : c[i];
    }
    return 1;
}

/* Correlation of p and q, q moved by (dx, dy), over their overlap. */
static double corr_at(const float *p, const float *q, int cw, int ch, int dx, int dy)
{
    double sp = 0, sq = 0, spp = 0, sqq = 0, spq = 0;
    int n = 0;
    for (int y = dy > 0 ? dy : 0; y < (dy < 0 ? ch + dy : ch); y++)
        for (int x = dx > 0 ? dx : 0; x < (dx < 0 ? cw + dx : cw); x++) {
            double u = p[y * cw + x], v = q[(y - dy) * cw + (x - dx)];
            sp += u;
            sq += v;
            spp += u * u;
            sqq += v * v;
            spq += u * v;
            n++;
        }
    if (n < 4)
        return 0;
    double vp = spp - sp * sp / n, vq = sqq - sq * sq / n;
    return vp > 1e-12 && vq > 1e-12 ? (spq - sp * sq / n) / sqrt(vp * vq) : 0;
}

/* How unlike two windows are: 1 - their best correlation within one cell of shift. */
static float unlike(const float *p, const float *q, int cw, int ch)
{
    double best = -1;
    for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++) {
            double c = corr_at(p, q, cw, ch, dx, dy);
            if (c > best)
                best = c;
        }
    return (float)(1 - best);
}

int fr_shots__window_cut(fr_shots *s, int64_t t, float *ratio)
{
    const int cw = s->gw / 2, ch = s->gh / 2, cn = cw * ch;
    float *w = s->scratch; /* 4 maps: A, B, C, D */
    for (int i = 0; i < 4; i++)
        if (!window(s, t + (int64_t)(i - 2) * FR_WIN, cn, w + (size_t)i * cn))
            return 0;
    float ab = unlike(w, w + cn, cw, ch), bc = unlike(w + cn, w + 2 * (size_t)cn, cw, ch),
          cd = unlike(w + 2 * (size_t)cn, w + 3 * (size_t)cn, cw, ch);
    float side = ab > cd ? ab : cd;
    if (side < FR_WIN_FLOOR)
        side = FR_WIN_FLOOR;
    *ratio = bc / (FR_WIN_RATIO * side);
    return bc >= FR_WIN_MIN && *ratio >= 1;
}
