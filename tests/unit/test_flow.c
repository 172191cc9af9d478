/* test_flow.c: the dense optical flow (nodes/flow.c) on synthetic textures whose true motion
 * is known: pure translations (whole and sub-pixel), translations under flicker and grain,
 * a moving square over a still background, determinism across runs and thread counts, and
 * argument checks. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"

#define S 160

/* A smooth random texture defined everywhere, so sub-pixel shifts are exact: a sum of
 * sinusoids with random frequencies and phases, mapped to 0..255 with a gain and offset. */
typedef struct {
    float fx[12], fy[12], ph[12], amp[12];
} texture;

static unsigned lcg(unsigned *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}
static float urand(unsigned *s) { return (float)(lcg(s) & 0xffff) / 65536.0f; }

static void texture_init(texture *t, unsigned seed)
{
    for (int k = 0; k < 12; k++) {
        float f = 0.04f + 0.25f * urand(&seed), a = 6.2831853f * urand(&seed);
        t->fx[k] = f * cosf(a);
        t->fy[k] = f * sinf(a);
        t->ph[k] = 6.2831853f * urand(&seed);
        t->amp[k] = 0.5f + urand(&seed);
    }
}

static float texture_at(const texture *t, float x, float y)
{
    float v = 0;
    for (int k = 0; k < 12; k++)
        v += t->amp[k] * sinf(t->fx[k] * x + t->fy[k] * y + t->ph[k]);
    return v;
}

/* Renders the texture shifted by (dx, dy) (content moves by +d), with gain, offset and grain. */
static void render(const texture *t, float dx, float dy, float gain, float offset, float grain,
                   unsigned seed, uint8_t *out)
{
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) {
            float v = 128.0f + 20.0f * texture_at(t, (float)x - dx, (float)y - dy);
            v = v * gain + offset;
            if (grain > 0)
                v += grain * (urand(&seed) + urand(&seed) + urand(&seed) - 1.5f) * 2.0f;
            long q = lrintf(v);
            out[y * S + x] = (uint8_t)(q < 0 ? 0 : q > 255 ? 255 : q);
        }
}

static float *flow_of(const uint8_t *a, const uint8_t *b, const fr_flow_opts *o)
{
    fr_flow_opts one;
    if (!o) {
        /* one thread unless a test asks: spinning OpenMP teams crawl on shared cores */
        fr_flow_opts_default(&one);
        one.threads = 1;
        o = &one;
    }
    fr_flow *f;
    fr_flow_pyr *pa, *pb;
    fr_err err;
    cr_assert_eq(fr_flow_new(&f, S, S, o, &err), FR_OK, "%s", err.msg);
    cr_assert_eq(fr_flow_pyr_new(&pa, f, &err), FR_OK);
    cr_assert_eq(fr_flow_pyr_new(&pb, f, &err), FR_OK);
    fr_flow_prepare(f, a, S, pa);
    fr_flow_prepare(f, b, S, pb);
    float *uv = malloc(sizeof(float) * 2 * S * S);
    fr_flow_compute(f, pa, pb, uv);
    fr_flow_pyr_free(pa);
    fr_flow_pyr_free(pb);
    fr_flow_free(f);
    return uv;
}

/* Mean end-point error against a constant flow (du, dv), away from a border of m pixels. */
static double epe(const float *uv, float du, float dv, int m)
{
    double s = 0;
    int n = 0;
    for (int y = m; y < S - m; y++)
        for (int x = m; x < S - m; x++) {
            const float *p = uv + 2 * (y * S + x);
            s += hypot(p[0] - du, p[1] - dv);
            n++;
        }
    return s / n;
}

static void check_shift(float dx, float dy, float gain, float offset, float grain, double tol)
{
    texture t;
    texture_init(&t, 7);
    uint8_t *a = malloc(S * S), *b = malloc(S * S);
    render(&t, 0, 0, 1, 0, grain, 11, a);
    render(&t, dx, dy, gain, offset, grain, 12, b);
    /* content moved by +d, so pixel x of a is found at x + d in b */
    float *uv = flow_of(a, b, NULL);
    int m = 4 + (int)ceilf(fmaxf(fabsf(dx), fabsf(dy)));
    double e = epe(uv, dx, dy, m);
    cr_assert(e < tol, "shift (%.2f, %.2f) gain %.2f offset %.0f grain %.0f: EPE %.3f >= %.3f",
              dx, dy, gain, offset, grain, e, tol);
    free(uv);
    free(a);
    free(b);
}

Test(flow, recovers_translations)
{
    check_shift(0, 0, 1, 0, 0, 0.02);
    check_shift(3, -2, 1, 0, 0, 0.1);
    check_shift(1.5f, 0.25f, 1, 0, 0, 0.1);
    check_shift(-7.3f, 5.6f, 1, 0, 0, 0.15);
    check_shift(14, -11, 1, 0, 0, 0.15);
}

Test(flow, robust_to_flicker_and_grain)
{
    /* a 25% exposure drop with an offset, and grain of a few levels on both frames */
    check_shift(2.5f, -1.75f, 0.75f, 20, 0, 0.1);
    check_shift(-4.2f, 3.1f, 1.2f, -25, 4, 0.25);
    check_shift(6, 0.5f, 0.85f, 10, 6, 0.35);
}

/* A textured square moving over a still textured background: the flow inside the square
 * follows it and the background far from it stays still. */
Test(flow, moving_square)
{
    texture bg, fg;
    texture_init(&bg, 3);
    texture_init(&fg, 9);
    uint8_t *a = malloc(S * S), *b = malloc(S * S);
    const int x0 = 50, y0 = 60, side = 48;
    const float mx = 5, my = 3;
    for (int k = 0; k < 2; k++) {
        uint8_t *o = k ? b : a;
        float sx = x0 + k * mx, sy = y0 + k * my;
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++) {
                int in = x >= sx && x < sx + side && y >= sy && y < sy + side;
                float v = in ? 70.0f + 15.0f * texture_at(&fg, x - sx, y - sy)
                             : 160.0f + 15.0f * texture_at(&bg, (float)x, (float)y);
                o[y * S + x] = (uint8_t)lrintf(v);
            }
    }
    float *uv = flow_of(a, b, NULL);
    double sin = 0, sout = 0;
    int nin = 0, nout = 0;
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) {
            const float *p = uv + 2 * (y * S + x);
            if (x >= x0 + 8 && x < x0 + side - 8 && y >= y0 + 8 && y < y0 + side - 8) {
                sin += hypot(p[0] - mx, p[1] - my);
                nin++;
            } else if (x < x0 - 16 || x >= x0 + side + mx + 16 || y < y0 - 16 ||
                       y >= y0 + side + my + 16) {
                sout += hypot(p[0], p[1]);
                nout++;
            }
        }
    cr_assert(sin / nin < 0.3, "inside the square: EPE %.3f", sin / nin);
    cr_assert(sout / nout < 0.15, "background: EPE %.3f", sout / nout);
    free(uv);
    free(a);
    free(b);
}

Test(flow, deterministic_across_runs_and_threads)
{
    texture t;
    texture_init(&t, 5);
    uint8_t *a = malloc(S * S), *b = malloc(S * S);
    render(&t, 0, 0, 1, 0, 5, 1, a);
    render(&t, 2.3f, -1.1f, 0.9f, 8, 5, 2, b);
    fr_flow_opts o;
    fr_flow_opts_default(&o);
    o.threads = 1;
    float *r1 = flow_of(a, b, &o);
    float *r1b = flow_of(a, b, &o);
    o.threads = 2;
    float *r2 = flow_of(a, b, &o);
    o.threads = 3;
    float *r3 = flow_of(a, b, &o);
    size_t bytes = sizeof(float) * 2 * S * S;
    cr_assert(!memcmp(r1, r1b, bytes), "two runs differ");
    cr_assert(!memcmp(r1, r2, bytes), "1 and 2 threads differ");
    cr_assert(!memcmp(r1, r3, bytes), "1 and 3 threads differ");
    /* and the full-resolution setting too */
    o.finest_level = 0;
    o.threads = 1;
    float *f1 = flow_of(a, b, &o);
    o.threads = 2;
    float *f2 = flow_of(a, b, &o);
    cr_assert(!memcmp(f1, f2, bytes), "finest level 0: 1 and 2 threads differ");
    cr_assert(epe(f1, 2.3f, -1.1f, 8) < 0.8, "finest level 0: EPE %.3f", epe(f1, 2.3f, -1.1f, 8));
    free(r1);
    free(r1b);
    free(r2);
    free(r3);
    free(f1);
    free(f2);
    free(a);
    free(b);
}

Test(flow, rejects_bad_settings)
{
    fr_flow *f = NULL;
    fr_err err;
    fr_flow_opts o;
    fr_flow_opts_default(&o);
    cr_assert_eq(fr_flow_new(&f, 4, 4, &o, &err), FR_ERR_ARG);
    cr_assert_null(f);
    o.stride = 0;
    cr_assert_eq(fr_flow_new(&f, 64, 64, &o, &err), FR_ERR_ARG);
    fr_flow_opts_default(&o);
    o.patch = 64;
    cr_assert_eq(fr_flow_new(&f, 64, 64, &o, &err), FR_ERR_ARG);
    cr_assert(strlen(err.msg) > 0);
    fr_flow_free(NULL);
    fr_flow_pyr_free(NULL);
}
