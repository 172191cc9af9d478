/* test_smooth.c: temporal chroma smoothing (nodes/smooth.c) on synthetic shots with known
 * truth: a textured square moving over a textured background with per-frame chroma flicker
 * (the flicker drops, no colour trail appears in or around the square), a hard content change
 * inside the window (no weight across it), window locality (what lies beyond the radius, or
 * beyond the frames given, changes nothing), determinism (runs, threads, and every way of
 * calling give the same bytes), the off switch, and the settings parser. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "smooth.h"

#define S 128
#define PX (S * S)
#define SIDE 36

static unsigned lcg(unsigned *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}
static float urand(unsigned *s) { return (float)(lcg(s) & 0xffff) / 65536.0f; }

static float wave(float x, float y, unsigned seed)
{
    float v = 0;
    for (int k = 0; k < 8; k++) {
        float f = 0.05f + 0.3f * urand(&seed), a = 6.2831853f * urand(&seed);
        float ph = 6.2831853f * urand(&seed);
        v += sinf(f * (cosf(a) * x + sinf(a) * y) + ph);
    }
    return v / 8.0f;
}

static uint8_t clamp8(float v)
{
    long q = lrintf(v);
    return (uint8_t)(q < 0 ? 0 : q > 255 ? 255 : q);
}

typedef struct {
    int n;
    uint8_t *gray, *truth, *flicker; /* n frames each */
    int sx[64], sy[64];              /* the square's origin per frame */
} shot;

/* A still textured background with smooth colours, and a darker textured square of its own
 * colour moving (vx, vy) a frame. `flicker` is the truth with random per-frame chroma shifts,
 * one for the whole frame and one more for the square. scene_seed changes the whole picture. */
static void make_shot(shot *s, int n, int vx, int vy, unsigned scene_seed, float luma_flicker)
{
    s->n = n;
    s->gray = malloc((size_t)n * PX);
    s->truth = malloc((size_t)n * PX * 2);
    s->flicker = malloc((size_t)n * PX * 2);
    unsigned fl = 99 + scene_seed;
    for (int t = 0; t < n; t++) {
        int sx = 20 + vx * t, sy = 40 + vy * t;
        s->sx[t] = sx;
        s->sy[t] = sy;
        float gain = 1.0f + luma_flicker * (2.0f * urand(&fl) - 1.0f);
        float ob = 24.0f * (urand(&fl) - 0.5f), orr = 24.0f * (urand(&fl) - 0.5f);
        float qb = 16.0f * (urand(&fl) - 0.5f), qr = 16.0f * (urand(&fl) - 0.5f);
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++) {
                int in = x >= sx && x < sx + SIDE && y >= sy && y < sy + SIDE;
                float g, cb, cr;
                if (in) {
                    g = 70 + 30 * wave((float)(x - sx), (float)(y - sy), 5 + scene_seed);
                    cb = 90 + 6 * wave((float)(x - sx), (float)(y - sy), 6 + scene_seed);
                    cr = 180;
                } else {
                    g = 160 + 40 * wave((float)x, (float)y, 1 + scene_seed);
                    cb = 128 + 30 * wave((float)x * 0.3f, (float)y * 0.3f, 2 + scene_seed);
                    cr = 128 + 30 * wave((float)x * 0.3f, (float)y * 0.3f, 3 + scene_seed);
                }
                size_t i = (size_t)t * PX + (size_t)y * S + x;
                s->gray[i] = clamp8(g * gain);
                s->truth[2 * i] = clamp8(cb);
                s->truth[2 * i + 1] = clamp8(cr);
                s->flicker[2 * i] = clamp8(cb + ob + (in ? qb : 0));
                s->flicker[2 * i + 1] = clamp8(cr + orr + (in ? qr : 0));
            }
    }
}

static void free_shot(shot *s)
{
    free(s->gray);
    free(s->truth);
    free(s->flicker);
}

/* Defaults on one thread: tests share two cores, where spinning OpenMP teams crawl; the
 * determinism test sets its own thread counts. */
static void opts_1t(fr_smooth_opts *o)
{
    fr_smooth_opts_default(o);
    o->threads = 1;
}

static uint8_t *smooth_all(const shot *s, const uint8_t *chroma, const fr_smooth_opts *o)
{
    fr_smooth *sm;
    fr_err err;
    cr_assert_eq(fr_smooth_new(&sm, S, o, &err), FR_OK, "%s", err.msg);
    uint8_t *out = malloc((size_t)s->n * PX * 2);
    cr_assert_eq(fr_smooth_run(sm, s->gray, chroma, s->n, 0, -1, out, &err), FR_OK, "%s",
                 err.msg);
    fr_smooth_free(sm);
    return out;
}

enum { R_ALL, R_SQUARE, R_TRAIL };

/* Region r of frame t: the whole frame, the square, or the band where a trail would show
 * (the square's positions within +-radius frames, plus 3 px around them, minus the square). */
static int in_region(const shot *s, int t, int x, int y, int r, int radius)
{
    int in = x >= s->sx[t] && x < s->sx[t] + SIDE && y >= s->sy[t] && y < s->sy[t] + SIDE;
    if (r == R_ALL)
        return 1;
    if (r == R_SQUARE)
        return in;
    if (in)
        return 0;
    for (int k = t - radius; k <= t + radius; k++) {
        if (k < 0 || k >= s->n)
            continue;
        if (x >= s->sx[k] - 3 && x < s->sx[k] + SIDE + 3 && y >= s->sy[k] - 3 &&
            y < s->sy[k] + SIDE + 3)
            return 1;
    }
    return 0;
}

/* Mean absolute chroma error against the truth over region r, all frames. */
static double region_err(const shot *s, const uint8_t *c, int r, int radius)
{
    double sum = 0;
    long n = 0;
    for (int t = 0; t < s->n; t++)
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++) {
                if (!in_region(s, t, x, y, r, radius))
                    continue;
                size_t i = (size_t)t * PX + (size_t)y * S + x;
                sum += abs(c[2 * i] - s->truth[2 * i]) + abs(c[2 * i + 1] - s->truth[2 * i + 1]);
                n += 2;
            }
    return sum / (double)n;
}

Test(smooth, moving_square_flicker_drops_without_trails)
{
    shot s;
    make_shot(&s, 16, 6, 2, 0, 0);
    fr_smooth_opts o;
    opts_1t(&o);
    int r = o.radius;
    uint8_t *out = smooth_all(&s, s.flicker, &o);
    double b_all = region_err(&s, s.flicker, R_ALL, r), a_all = region_err(&s, out, R_ALL, r);
    double b_sq = region_err(&s, s.flicker, R_SQUARE, r), a_sq = region_err(&s, out, R_SQUARE, r);
    double b_tr = region_err(&s, s.flicker, R_TRAIL, r), a_tr = region_err(&s, out, R_TRAIL, r);
    cr_log_info("flicker error: frame %.2f -> %.2f, square %.2f -> %.2f, trail band %.2f -> %.2f",
                b_all, a_all, b_sq, a_sq, b_tr, a_tr);
    cr_assert(a_all < 0.6 * b_all, "flicker barely reduced: %.2f -> %.2f", b_all, a_all);
    cr_assert(a_sq < b_sq, "error inside the square grew: %.2f -> %.2f", b_sq, a_sq);
    cr_assert(a_tr < b_tr, "error around the square grew: %.2f -> %.2f", b_tr, a_tr);

    /* a perfect, stable colouriser: smoothing must leave it (almost) alone, above all in the
     * band behind the square where a trail would be */
    uint8_t *st = smooth_all(&s, s.truth, &o);
    double e_sq = region_err(&s, st, R_SQUARE, r), e_tr = region_err(&s, st, R_TRAIL, r);
    cr_log_info("stable input: square %.3f, trail band %.3f", e_sq, e_tr);
    cr_assert(e_sq < 1.0 && e_tr < 1.0, "stable input damaged: square %.3f, band %.3f", e_sq,
              e_tr);

    /* the check can fail: a plain temporal average that ignores motion leaves trails */
    uint8_t *naive = malloc((size_t)s.n * PX * 2);
    for (int t = 0; t < s.n; t++)
        for (size_t i = 0; i < 2 * PX; i++) {
            int sum = 0, cnt = 0;
            for (int k = t - r; k <= t + r; k++)
                if (k >= 0 && k < s.n) {
                    sum += s.truth[(size_t)k * 2 * PX + i];
                    cnt++;
                }
            naive[(size_t)t * 2 * PX + i] = (uint8_t)((sum + cnt / 2) / cnt);
        }
    double n_tr = region_err(&s, naive, R_TRAIL, r);
    cr_assert(n_tr > 5 * (e_tr + 0.5), "a motion-blind average should trail: %.3f", n_tr);
    free(naive);
    free(st);
    free(out);
    free_shot(&s);
}

Test(smooth, luma_flicker_keeps_neighbours_trusted)
{
    shot s;
    make_shot(&s, 12, 4, -1, 0, 0.12f);
    fr_smooth_opts o;
    opts_1t(&o);
    uint8_t *out = smooth_all(&s, s.flicker, &o);
    double b = region_err(&s, s.flicker, R_ALL, o.radius), a = region_err(&s, out, R_ALL, o.radius);
    cr_assert(a < 0.6 * b, "with luma flicker: %.2f -> %.2f", b, a);
    free(out);
    free_shot(&s);
}

/* Frames 0..3 show one scene, 4..7 another: neither side may borrow colour from the other. */
Test(smooth, content_change_inside_window_gets_no_weight)
{
    shot a, b;
    make_shot(&a, 8, 3, 1, 0, 0);
    make_shot(&b, 8, -2, 2, 77, 0);
    uint8_t *gray = malloc(8 * PX), *chroma = malloc(8 * PX * 2);
    for (int t = 0; t < 8; t++) {
        const shot *src = t < 4 ? &a : &b;
        memcpy(gray + (size_t)t * PX, src->gray + (size_t)t * PX, PX);
        /* the other scene is strongly coloured, so any leak shows */
        for (size_t i = 0; i < 2 * PX; i++)
            chroma[(size_t)t * 2 * PX + i] =
                t < 4 ? src->truth[(size_t)t * 2 * PX + i] : (uint8_t)(i % 2 ? 40 : 220);
    }
    fr_smooth_opts o;
    opts_1t(&o);
    fr_smooth *sm;
    fr_err err;
    cr_assert_eq(fr_smooth_new(&sm, S, &o, &err), FR_OK);
    uint8_t *mixed = malloc(8 * PX * 2), *alone = malloc(4 * PX * 2);
    cr_assert_eq(fr_smooth_run(sm, gray, chroma, 8, 0, -1, mixed, &err), FR_OK, "%s", err.msg);
    cr_assert_eq(fr_smooth_run(sm, gray, chroma, 4, 0, -1, alone, &err), FR_OK, "%s", err.msg);
    for (int t = 0; t < 4; t++) {
        double sum = 0;
        int worst = 0;
        for (size_t i = 0; i < 2 * PX; i++) {
            int d = abs(mixed[(size_t)t * 2 * PX + i] - alone[(size_t)t * 2 * PX + i]);
            sum += d;
            worst = d > worst ? d : worst;
        }
        cr_assert(sum / (2 * PX) < 0.05 && worst <= 8,
                  "frame %d borrowed across the change: mean %.3f, worst %d", t, sum / (2 * PX),
                  worst);
    }
    /* and the frames after the change stay their own colour */
    for (int t = 4; t < 8; t++) {
        long far = 0;
        for (size_t i = 0; i < 2 * PX; i++)
            far += abs(mixed[(size_t)t * 2 * PX + i] - chroma[(size_t)t * 2 * PX + i]) > 8;
        cr_assert(far < (long)(2 * PX / 500), "frame %d took colour from before: %ld", t, far);
    }
    fr_smooth_free(sm);
    free(mixed);
    free(alone);
    free(gray);
    free(chroma);
    free_shot(&a);
    free_shot(&b);
}

Test(smooth, output_depends_only_on_its_window)
{
    shot s;
    make_shot(&s, 14, 5, 1, 0, 0);
    fr_smooth_opts o;
    opts_1t(&o);
    int r = o.radius;
    uint8_t *ref = smooth_all(&s, s.flicker, &o);
    /* scribble over frames beyond frame 5's window: its output must not change */
    shot t;
    make_shot(&t, 14, 5, 1, 0, 0);
    for (int k = 0; k < 14; k++)
        if (k < 5 - r || k > 5 + r) {
            memset(t.gray + (size_t)k * PX, k * 17, PX);
            memset(t.flicker + (size_t)k * 2 * PX, 255 - k * 9, 2 * PX);
        }
    uint8_t *out = smooth_all(&t, t.flicker, &o);
    cr_assert(!memcmp(ref + 5 * 2 * PX, out + 5 * 2 * PX, 2 * PX), "frame 5 saw past its window");
    cr_assert(memcmp(ref + 1 * 2 * PX, out + 1 * 2 * PX, 2 * PX), "frame 1 should have changed");
    /* a shot that ends early: its last frames use only what was given */
    fr_smooth *sm;
    fr_err err;
    cr_assert_eq(fr_smooth_new(&sm, S, &o, &err), FR_OK);
    uint8_t *head = malloc(6 * 2 * PX);
    cr_assert_eq(fr_smooth_run(sm, s.gray, s.flicker, 6, 0, -1, head, &err), FR_OK);
    cr_assert(!memcmp(head, ref, (size_t)(6 - r) * 2 * PX), "frames with full windows differ");
    cr_assert(memcmp(head + 5 * 2 * PX, ref + 5 * 2 * PX, 2 * PX), "edge frame used more frames");
    fr_smooth_free(sm);
    free(head);
    free(out);
    free(ref);
    free_shot(&t);
    free_shot(&s);
}

Test(smooth, deterministic_across_runs_threads_and_calls)
{
    shot s;
    make_shot(&s, 13, -5, 3, 3, 0.05f);
    fr_smooth_opts o;
    opts_1t(&o);
    size_t bytes = (size_t)s.n * 2 * PX;
    o.threads = 1;
    uint8_t *a = smooth_all(&s, s.flicker, &o), *a2 = smooth_all(&s, s.flicker, &o);
    o.threads = 2;
    uint8_t *b = smooth_all(&s, s.flicker, &o);
    cr_assert(!memcmp(a, a2, bytes), "two runs differ");
    cr_assert(!memcmp(a, b, bytes), "1 and 2 threads differ");

    o.threads = 1;
    fr_smooth *sm;
    fr_err err;
    cr_assert_eq(fr_smooth_new(&sm, S, &o, &err), FR_OK);
    /* segments of 4 frames, each with its context, as ranks would get them */
    uint8_t *seg = malloc(bytes);
    for (int first = 0; first < s.n; first += 4) {
        int count = first + 4 <= s.n ? 4 : s.n - first;
        int lo = first - o.radius > 0 ? first - o.radius : 0;
        int hi = first + count + o.radius < s.n ? first + count + o.radius : s.n;
        cr_assert_eq(fr_smooth_run(sm, s.gray + (size_t)lo * PX, s.flicker + (size_t)lo * 2 * PX,
                                   hi - lo, first - lo, count, seg + (size_t)first * 2 * PX,
                                   &err),
                     FR_OK, "%s", err.msg);
    }
    cr_assert(!memcmp(a, seg, bytes), "segments differ from one pass");
    /* one frame at a time from its window of pointers */
    const uint8_t *gp[64], *cp[64];
    for (int t = 0; t < s.n; t++) {
        gp[t] = s.gray + (size_t)t * PX;
        cp[t] = s.flicker + (size_t)t * 2 * PX;
    }
    uint8_t one[2 * PX];
    for (int t = 0; t < s.n; t++) {
        cr_assert_eq(fr_smooth_frame(sm, gp, cp, s.n, t, one, &err), FR_OK, "%s", err.msg);
        cr_assert(!memcmp(one, a + (size_t)t * 2 * PX, 2 * PX), "frame %d alone differs", t);
    }
    /* streaming, popping as it goes */
    fr_smooth_begin(sm, 0, -1);
    int got = 0, idx;
    for (int t = 0; t <= s.n; t++) {
        if (t < s.n)
            cr_assert_eq(fr_smooth_push(sm, gp[t], cp[t], &err), FR_OK, "%s", err.msg);
        else
            fr_smooth_finish(sm);
        while (fr_smooth_pop(sm, one, &idx, &err) == FR_OK) {
            cr_assert_eq(idx, got);
            cr_assert(!memcmp(one, a + (size_t)idx * 2 * PX, 2 * PX), "streamed %d differs", idx);
            got++;
        }
    }
    cr_assert_eq(got, s.n);
    fr_smooth_free(sm);
    free(seg);
    free(a);
    free(a2);
    free(b);
    free_shot(&s);
}

Test(smooth, off_switch_and_identity_settings)
{
    shot s;
    make_shot(&s, 6, 4, 0, 0, 0);
    size_t bytes = (size_t)s.n * 2 * PX;
    const char *specs[] = {"off", "radius=0", "strength=0"};
    for (int k = 0; k < 3; k++) {
        fr_smooth_opts o;
        opts_1t(&o);
        fr_err err;
        cr_assert_eq(fr_smooth_opts_parse(&o, specs[k], &err), FR_OK, "%s", err.msg);
        uint8_t *out = smooth_all(&s, s.flicker, &o);
        cr_assert(!memcmp(out, s.flicker, bytes), "'%s' changed the chroma", specs[k]);
        char buf[128];
        fr_smooth_opts_format(&o, buf, sizeof buf);
        cr_assert_str_eq(buf, "off");
        free(out);
    }
    free_shot(&s);
}

Test(smooth, settings_parse_and_errors)
{
    fr_smooth_opts o;
    opts_1t(&o);
    fr_err err;
    cr_assert_eq(fr_smooth_opts_parse(&o, "radius=2,strength=0.5,tolerance=9", &err), FR_OK);
    cr_assert_eq(o.radius, 2);
    cr_assert_float_eq(o.strength, 0.5, 1e-12);
    cr_assert_float_eq(o.tolerance, 9.0, 1e-12);
    char buf[128];
    fr_smooth_opts_format(&o, buf, sizeof buf);
    cr_assert_str_eq(buf, "radius=2,strength=0.5,tolerance=9,flow=dis1");
    cr_assert_eq(fr_smooth_opts_parse(&o, "off", &err), FR_OK);
    cr_assert_eq(o.enabled, 0);
    cr_assert_eq(fr_smooth_opts_parse(&o, "on", &err), FR_OK);
    cr_assert_eq(o.enabled, 1);
    const char *bad[] = {"radius=99", "radius=1.5", "strength=2", "strength=x", "sigma=3",
                         "maybe", "tolerance=0", "radius="};
    for (int k = 0; k < 8; k++) {
        fr_smooth_opts before = o;
        cr_assert_eq(fr_smooth_opts_parse(&o, bad[k], &err), FR_ERR_ARG, "'%s' accepted", bad[k]);
        cr_assert(strlen(err.msg) > 0);
        cr_assert(!memcmp(&before, &o, sizeof o), "'%s' changed the settings", bad[k]);
    }
    fr_smooth *sm = NULL;
    o.radius = -1;
    cr_assert_eq(fr_smooth_new(&sm, S, &o, &err), FR_ERR_ARG);
    cr_assert_null(sm);
    fr_smooth_free(NULL);
}

Test(smooth, push_with_pending_output_is_an_error)
{
    fr_smooth_opts o;
    opts_1t(&o);
    o.radius = 1;
    fr_smooth *sm;
    fr_err err;
    cr_assert_eq(fr_smooth_new(&sm, S, &o, &err), FR_OK);
    uint8_t *g = calloc(PX, 1), *c = calloc(2 * PX, 1);
    fr_smooth_begin(sm, 0, -1);
    fr_status st = FR_OK;
    for (int k = 0; k < 8 && st == FR_OK; k++)
        st = fr_smooth_push(sm, g, c, &err);
    cr_assert_eq(st, FR_ERR_ARG, "pushing far ahead of the outputs was accepted");
    fr_smooth_free(sm);
    free(g);
    free(c);
}
