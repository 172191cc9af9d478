/* test_shots.c: the shot detector on synthetic footage: hard cuts, dissolves,
 * fades, flashes, flicker and grain, at 8 and 10 bits; options and streaming. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "shots.h"

#define W 160
#define H 120
#define MAXB 16

typedef struct {
    fr_shot_boundary b[MAXB];
    int n;
} found;

/* A textured scene (seeded sinusoids and blobs) panning slowly: a value 0..1. */
static double scene(int seed, int t, int x, int y)
{
    double fx = 0.03 + 0.02 * (seed % 5), fy = 0.05 + 0.015 * (seed % 3);
    double px = seed * 1.7, py = seed * 0.9;
    double v = 0.5 + 0.22 * sin(fx * (x + 0.8 * t) + px) * cos(fy * y + py) +
               0.12 * sin(0.11 * (x + 0.8 * t) * (1 + seed % 2) + 0.07 * y + seed);
    double cx = 40 + 17 * seed % 80 + 0.5 * t, cy = 30 + 11 * seed % 60;
    double r2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
    v += (seed % 2 ? 0.25 : -0.25) * exp(-r2 / 300.0);
    return v;
}

typedef struct {
    int cut_at;           /* first frame of scene B, or -1 */
    int dissolve;         /* frames of dissolve starting at cut_at (0: none) */
    int fade;             /* frames of fade through black centred on cut_at (0: none) */
    int gap;              /* frames of plain black from cut_at, then scene B (0: none) */
    int flash_at, flash_len; /* flash frames, or -1 */
    double flicker;       /* per-frame gain +- this */
    double grain;         /* per-pixel noise, in 0..1 units */
    int bits;             /* 8 or 10 */
    int dust;             /* bright 2x2 specks a frame (under a grid cell), at random, and a line scratch */
} clip;

static unsigned rng_state;
static double urand(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return (rng_state >> 8) / 16777216.0;
}
static double nrand(void)
{
    double u = urand() + 1e-9, v = urand();
    return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

static void render(const clip *c, int t, fr_plane *p)
{
    double gain = 1 + c->flicker * (2 * urand() - 1), off = c->flicker * 0.3 * (2 * urand() - 1);
    double maxv = (1 << p->bits) - 1;
    int spot[16][2], scratch = (int)(urand() * W);
    for (int i = 0; i < c->dust && i < 16; i++) {
        spot[i][0] = (int)(urand() * (W - 5));
        spot[i][1] = (int)(urand() * (H - 5));
    }
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double a = scene(3, t, x, y), b = scene(8, t, x, y), v;
            if (c->cut_at < 0) {
                v = a;
            } else if (c->dissolve) {
                double al = (t - c->cut_at + 0.5) / c->dissolve;
                al = al < 0 ? 0 : al > 1 ? 1 : al;
                v = (1 - al) * a + al * b;
            } else if (c->gap) {
                v = t < c->cut_at ? a : t < c->cut_at + c->gap ? 0.02 : b;
            } else if (c->fade) {
                int h = c->fade / 2;
                double g = t < c->cut_at ? (double)(c->cut_at - 1 - t) / h : (double)(t - c->cut_at) / h;
                g = g > 1 ? 1 : g;
                v = (t < c->cut_at ? a : b) * g;
            } else {
                v = t < c->cut_at ? a : b;
            }
            if (c->flash_at >= 0 && t >= c->flash_at && t < c->flash_at + c->flash_len)
                v = v + (1 - v) * 0.85;
            v = v * gain + off + c->grain * nrand();
            for (int i = 0; i < c->dust && i < 16; i++)
                if (x >= spot[i][0] && x < spot[i][0] + 2 && y >= spot[i][1] && y < spot[i][1] + 2)
                    v = 0.9;
            if (c->dust && x == scratch)
                v += 0.3;
            v = v < 0 ? 0 : v > 1 ? 1 : v;
            long q = lround(v * maxv);
            if (p->bits > 8)
                ((uint16_t *)(p->data + y * p->linesize))[x] = (uint16_t)q;
            else
                p->data[y * p->linesize + x] = (uint8_t)q;
        }
}

static found detect(const clip *c, int frames, const fr_shots_opts *o)
{
    found f = {0};
    fr_err err = {0};
    fr_shots *s = NULL;
    fr_plane p;
    rng_state = 12345;
    cr_assert_eq(fr_plane_alloc(&p, W, H, c->bits ? c->bits : 8, &err), FR_OK, "%s", err.msg);
    cr_assert_eq(fr_shots_new(&s, o, &err), FR_OK, "%s", err.msg);
    if (getenv("FR_SHOTS_TRACE")) /* per-frame measures, when a test needs explaining */
        fr_shots_set_trace(s, stderr);
    int64_t last = -1;
    for (int t = 0; t < frames; t++) {
        render(c, t, &p);
        cr_assert_eq(fr_shots_push(s, &p, t, &err), FR_OK, "%s", err.msg);
        fr_shot_boundary b;
        while (fr_shots_pop(s, &b)) {
            cr_assert_lt(f.n, MAXB);
            cr_assert_gt(b.frame, last, "boundaries come out in order");
            cr_assert_leq(t - b.frame, fr_shots_lag(s), "a boundary came out later than the lag");
            last = b.frame;
            f.b[f.n++] = b;
        }
    }
    cr_assert_eq(fr_shots_finish(s, &err), FR_OK);
    fr_shot_boundary b;
    while (fr_shots_pop(s, &b)) {
        cr_assert_lt(f.n, MAXB);
        f.b[f.n++] = b;
    }
    fr_shots_free(s);
    fr_plane_release(&p);
    return f;
}

static clip plain(void) { return (clip){.cut_at = -1, .flash_at = -1, .bits = 8}; }

Test(shots, hard_cut_found_at_its_frame)
{
    clip c = plain();
    c.cut_at = 40;
    found f = detect(&c, 80, NULL);
    cr_assert_eq(f.n, 1, "expected one boundary, got %d", f.n);
    cr_assert_eq(f.b[0].frame, 40);
    cr_assert_eq(f.b[0].kind, FR_SHOT_CUT);
}

Test(shots, dissolve_is_gradual_at_its_middle)
{
    clip c = plain();
    c.cut_at = 40;
    c.dissolve = 16;
    found f = detect(&c, 96, NULL);
    cr_assert_eq(f.n, 1, "expected one boundary, got %d", f.n);
    cr_assert_eq(f.b[0].kind, FR_SHOT_GRADUAL);
    cr_assert(llabs(f.b[0].frame - 48) <= 4, "dissolve middle 48, got %lld", (long long)f.b[0].frame);
}

Test(shots, fade_through_black_is_gradual_at_its_middle)
{
    clip c = plain();
    c.cut_at = 40;
    c.fade = 16;
    found f = detect(&c, 90, NULL);
    cr_assert_eq(f.n, 1, "expected one boundary, got %d", f.n);
    cr_assert_eq(f.b[0].kind, FR_SHOT_GRADUAL);
    cr_assert(llabs(f.b[0].frame - 40) <= 4, "fade middle 40, got %lld", (long long)f.b[0].frame);
}

Test(shots, flashes_are_not_cuts)
{
    for (int len = 1; len <= 3; len++) {
        clip c = plain();
        c.flash_at = 30;
        c.flash_len = len;
        found f = detect(&c, 70, NULL);
        cr_assert_eq(f.n, 0, "a %d-frame flash gave %d boundaries (first at %lld)", len, f.n,
                     f.n ? (long long)f.b[0].frame : -1LL);
    }
}

Test(shots, flicker_and_grain_are_not_cuts)
{
    clip c = plain();
    c.flicker = 0.2;
    c.grain = 0.04;
    found f = detect(&c, 120, NULL);
    cr_assert_eq(f.n, 0, "flicker and grain gave %d boundaries", f.n);
}

Test(shots, cut_under_flicker_grain_and_a_flash)
{
    clip c = plain();
    c.cut_at = 50;
    c.flicker = 0.15;
    c.grain = 0.03;
    c.flash_at = 20;
    c.flash_len = 2;
    found f = detect(&c, 100, NULL);
    cr_assert_eq(f.n, 1, "expected one boundary, got %d", f.n);
    cr_assert_eq(f.b[0].frame, 50);
    cr_assert_eq(f.b[0].kind, FR_SHOT_CUT);
}

Test(shots, ten_bit_planes)
{
    clip c = plain();
    c.cut_at = 33;
    c.bits = 10;
    found f = detect(&c, 70, NULL);
    cr_assert_eq(f.n, 1);
    cr_assert_eq(f.b[0].frame, 33);
}

Test(shots, deterministic_and_short_clips)
{
    clip c = plain();
    c.cut_at = 20;
    c.dissolve = 12;
    found a = detect(&c, 60, NULL), b = detect(&c, 60, NULL);
    cr_assert_eq(a.n, b.n);
    cr_assert(a.n == 0 || !memcmp(a.b, b.b, sizeof a.b[0] * (size_t)a.n));
    clip d = plain();
    found e = detect(&d, 3, NULL); /* shorter than every window */
    cr_assert_eq(e.n, 0);
}

Test(shots, bad_options_and_pushes)
{
    fr_shots_opts o;
    fr_shots_defaults(&o);
    o.gradual_span = 0;
    fr_err err = {0};
    fr_shots *s = NULL;
    cr_assert_eq(fr_shots_new(&s, &o, &err), FR_ERR_ARG);
    cr_assert_null(s);
    cr_assert(strstr(err.msg, "gradual"), "%s", err.msg);
    cr_assert_eq(fr_shots_new(&s, NULL, &err), FR_OK);
    fr_plane p;
    cr_assert_eq(fr_plane_alloc(&p, W, H, 8, &err), FR_OK);
    cr_assert_eq(fr_shots_push(s, &p, 1, &err), FR_ERR_ARG, "frames must start at 0");
    cr_assert_eq(fr_shots_push(s, &p, 0, &err), FR_OK);
    fr_shots_free(s);
    fr_shots_free(NULL);
    fr_plane_release(&p);
}

Test(shots, long_black_gap_and_long_dissolve_keep_the_lag)
{
    /* detect() checks that every boundary pops within fr_shots_lag of its frame */
    clip c = plain();
    c.cut_at = 40;
    c.gap = 90;
    found f = detect(&c, 180, NULL);
    cr_assert_eq(f.n, 1, "black gap: expected one boundary, got %d", f.n);
    cr_assert_eq(f.b[0].kind, FR_SHOT_GRADUAL);
    cr_assert(f.b[0].frame > 40 && f.b[0].frame < 130, "inside the gap, got %lld", (long long)f.b[0].frame);
    clip d = plain();
    d.cut_at = 40;
    d.dissolve = 60;
    fr_shots_opts o;
    fr_shots_defaults(&o);
    o.gradual_span = 20; /* a long dissolve wants a wider window */
    found g = detect(&d, 150, &o);
    cr_assert_eq(g.n, 1, "a 60-frame dissolve: expected one boundary, got %d", g.n);
    cr_assert_eq(g.b[0].kind, FR_SHOT_GRADUAL);
    cr_assert(g.b[0].frame >= 40 && g.b[0].frame < 100, "inside the dissolve, got %lld",
              (long long)g.b[0].frame);
}

/* Detector 2 (issue 26): black frames that carry dust and a scratch are still the bottom of
 * a fade, and a 40-frame dissolve (its frames K apart both blends) is still found. */
Test(shots, dusty_fade_and_long_dissolve_with_detector_2)
{
    clip c = plain();
    c.cut_at = 40;
    c.gap = 8;
    c.dust = 6;
    found f = detect(&c, 100, NULL);
    cr_assert_eq(f.n, 1, "dusty fade: expected one boundary, got %d (first at %lld, %s)", f.n,
                 f.n ? (long long)f.b[0].frame : -1LL, f.n && f.b[0].kind == FR_SHOT_CUT ? "cut" : "gradual");
    cr_assert_eq(f.b[0].kind, FR_SHOT_GRADUAL);
    cr_assert(llabs(f.b[0].frame - 44) <= 4, "dusty fade middle 44, got %lld", (long long)f.b[0].frame);
    c = plain();
    c.cut_at = 40;
    c.dissolve = 40;
    f = detect(&c, 140, NULL);
    cr_assert_eq(f.n, 1, "40-frame dissolve: expected one boundary, got %d", f.n);
    cr_assert_eq(f.b[0].kind, FR_SHOT_GRADUAL);
    cr_assert(llabs(f.b[0].frame - 60) <= 10, "dissolve middle 60, got %lld", (long long)f.b[0].frame);
}

/* Each boundary carries a confidence in 0..1; a plain cut is a fairly sure one. */
Test(shots, confidence_in_range)
{
    clip c = plain();
    c.cut_at = 40;
    found f = detect(&c, 80, NULL);
    cr_assert_eq(f.n, 1);
    cr_assert(f.b[0].confidence > 0.7f && f.b[0].confidence <= 1.0f, "cut confidence %g", f.b[0].confidence);
    c.dissolve = 16;
    f = detect(&c, 96, NULL);
    cr_assert_eq(f.n, 1);
    cr_assert(f.b[0].confidence > 0 && f.b[0].confidence <= 1.0f, "dissolve confidence %g", f.b[0].confidence);
}
