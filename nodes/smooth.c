/* smooth.c: temporal chroma smoothing (see smooth.h): settings, the frame ring that makes
 * streaming exact, and the per-frame warp-and-blend.
 *
 * The ring. Frame j of a run lives in slot j % cap (cap = 2r + 2) with its flow pyramid; the
 * flows of the pair (j, j+1), forward (j -> j+1) and backward (j+1 -> j), live in slot j % cap
 * too. Pyramids and pair flows are computed lazily, once, when an output first needs them, and
 * a pair's flow depends on its two frames alone: that is what makes outputs independent of how
 * frames were grouped into calls.
 *
 * One output frame t. Its own chroma has weight 1. For each side (before, after) and each step
 * k = 1..r, the chain flow C_k(x) = C_{k-1}(x) + F(x + C_{k-1}(x)) (F the pair flow of step k,
 * sampled bilinearly) maps t's pixel x into frame t +- k. There, gray and chroma are sampled
 * bilinearly; the gray residual e = g_k(x + C_k) - g_t(x) has its median m (a global
 * brightness change: flicker) removed, and E = mean of (e - m)^2 over 5x5 pixels gives the
 * weight w = strength * exp(-E / (2 tol^2)). The weight is zero where the path leaves the frame
 * or where the pair's forward and backward flows disagree grossly (no match: occlusion), and
 * it never exceeds the previous step's weight at the same pixel (a path through an occlusion
 * stays untrusted). Each pair also has a gate, the share of its pixels that match at all: a
 * cut or a flash inside the window matches a few per cent, and the side stops there.
 * Output = sum(w c) / sum(w), rounded.
 *
 * Determinism: every per-pixel value is computed by one thread in a fixed order of neighbours;
 * the only whole-frame statistics (the median and the match count) are integer histograms and
 * counts, filled serially. */
#include "smooth.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"

#define BAD_RESIDUAL 255.0f /* residual given to pixels whose path leaves the frame */
/* why a path is unusable (bits of fr_smooth.bad) */
#define BAD_OUTSIDE 1 /* it leaves the frame */
#define BAD_STRICT 2  /* forward and backward flows disagree by over ~1.4 px (+5% of the motion) */
#define BAD_LOOSE 4   /* they disagree by over 3 px (+10%): no match at all */

struct fr_smooth {
    fr_smooth_opts o;      /* settings, validated */
    int size;              /* frames are size x size */
    int cap;               /* ring slots: 2r + 2 */
    int threads;           /* resolved OpenMP thread count */
    fr_flow *flow;         /* flow plan (NULL when smoothing is off) */
    uint8_t *gray;         /* cap frames of size*size */
    uint8_t *chroma;       /* cap frames of size*size*2 */
    fr_flow_pyr **pyr;     /* per slot */
    int *pyr_of;           /* frame whose pyramid a slot holds, -1 none */
    float **fwd, **bwd;    /* per slot: flows of pair (j, j+1) */
    int *fwd_of, *bwd_of;  /* the pair j each slot's flow belongs to, -1 none */
    float *gate;           /* per slot: trust in pair (j, j+1), see pair_gate */
    int *gate_of;          /* the pair each slot's gate belongs to, -1 none */
    /* the run */
    int first, count;      /* outputs wanted; count < 0: until finish */
    int pushed;            /* frames pushed since begin */
    int finished;          /* fr_smooth_finish was called */
    int next_out;          /* next output index */
    /* scratch for one output frame, each size*size (times 2 for the two-channel ones) */
    float *acc;            /* sum w*Cb, sum w*Cr, sum w: 3 a pixel */
    float *chain;          /* composed flow of the current side, 2 a pixel */
    float *cap_w;          /* weight of the previous step, a pixel and a side (2 a pixel) */
    float *res;            /* gray residual of the current step */
    float *box;            /* 5 x 5 sums of the squared residual */
    float *wch;            /* warped chroma of the current step, 2 a pixel */
    float *wt;             /* staging for the box sums */
    uint8_t *bad;          /* 1 where the current step's path is unusable */
};

void fr_smooth_opts_default(fr_smooth_opts *o)
{
    o->enabled = 1;
    o->radius = 3;
    o->strength = 1.0;
    o->tolerance = 6.0;
    o->threads = 0;
}

static fr_status check_opts(const fr_smooth_opts *o, fr_err *err)
{
    if (o->radius < 0 || o->radius > FR_SMOOTH_MAX_RADIUS)
        return fr_err_set(err, FR_ERR_ARG, "smoothing radius %d is not in [0, %d]", o->radius,
                          FR_SMOOTH_MAX_RADIUS);
    if (!(o->strength >= 0 && o->strength <= 1))
        return fr_err_set(err, FR_ERR_ARG, "smoothing strength %g is not in [0, 1]", o->strength);
    if (!(o->tolerance >= 0.5 && o->tolerance <= 100))
        return fr_err_set(err, FR_ERR_ARG, "smoothing tolerance %g is not in [0.5, 100]",
                          o->tolerance);
    return FR_OK;
}

fr_status fr_smooth_opts_parse(fr_smooth_opts *o, const char *text, fr_err *err)
{
    fr_smooth_opts n = *o;
    char buf[256];
    if (!text || strlen(text) >= sizeof buf)
        return fr_err_set(err, FR_ERR_ARG, "smoothing settings missing or too long");
    strcpy(buf, text);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '='), *end = NULL;
        if (!eq) {
            if (!strcmp(tok, "on"))
                n.enabled = 1;
            else if (!strcmp(tok, "off"))
                n.enabled = 0;
            else
                return fr_err_set(err, FR_ERR_ARG, "smoothing: '%s' is not on, off or key=value",
                                  tok);
            continue;
        }
        *eq = 0;
        const char *val = eq + 1;
        double v = strtod(val, &end);
        if (!*val || *end)
            return fr_err_set(err, FR_ERR_ARG, "smoothing: %s='%s' is not a number", tok, val);
        if (!strcmp(tok, "radius")) {
            if (v != floor(v) || v < 0 || v > FR_SMOOTH_MAX_RADIUS)
                return fr_err_set(err, FR_ERR_ARG, "smoothing radius '%s' is not in [0, %d]",
                                  val, FR_SMOOTH_MAX_RADIUS);
            n.radius = (int)v;
        } else if (!strcmp(tok, "strength")) {
            n.strength = v;
        } else if (!strcmp(tok, "tolerance")) {
            n.tolerance = v;
        } else if (!strcmp(tok, "threads")) {
            n.threads = (int)v;
        } else {
            return fr_err_set(err, FR_ERR_ARG, "smoothing: unknown setting '%s'", tok);
        }
    }
    fr_status st = check_opts(&n, err);
    if (st == FR_OK)
        *o = n;
    return st;
}

void fr_smooth_opts_format(const fr_smooth_opts *o, char *buf, size_t len)
{
    if (!o->enabled || o->radius == 0 || o->strength == 0)
        snprintf(buf, len, "off");
    else
        snprintf(buf, len, "radius=%d,strength=%.9g,tolerance=%.9g,flow=dis1", o->radius,
                 o->strength, o->tolerance);
}

static int active(const fr_smooth *s)
{
    return s->o.enabled && s->o.radius > 0 && s->o.strength > 0;
}

void fr_smooth_free(fr_smooth *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->cap; i++) {
        if (s->pyr)
            fr_flow_pyr_free(s->pyr[i]);
        if (s->fwd)
            free(s->fwd[i]);
        if (s->bwd)
            free(s->bwd[i]);
    }
    free(s->pyr);
    free(s->fwd);
    free(s->bwd);
    free(s->pyr_of);
    free(s->fwd_of);
    free(s->bwd_of);
    free(s->gate);
    free(s->gate_of);
    fr_flow_free(s->flow);
    free(s->gray);
    free(s->chroma);
    free(s->acc);
    free(s->chain);
    free(s->cap_w);
    free(s->res);
    free(s->box);
    free(s->wch);
    free(s->wt);
    free(s->bad);
    free(s);
}

fr_status fr_smooth_new(fr_smooth **out, int size, const fr_smooth_opts *opts, fr_err *err)
{
    *out = NULL;
    fr_smooth_opts o;
    if (opts)
        o = *opts;
    else
        fr_smooth_opts_default(&o);
    fr_status st = check_opts(&o, err);
    if (st != FR_OK)
        return st;
    if (size < 16 || size > 8192)
        return fr_err_set(err, FR_ERR_ARG, "smoothing: frame size %d is not in [16, 8192]", size);
    fr_smooth *s = calloc(1, sizeof *s);
    if (!s)
        return fr_err_set(err, FR_ERR_NOMEM, "smoothing: out of memory");
    s->o = o;
    s->size = size;
    s->threads = o.threads > 0 ? o.threads : omp_get_max_threads();
    if (s->threads < 1)
        s->threads = 1;
    int r = active(s) ? o.radius : 0;
    s->cap = 2 * r + 2;
    size_t px = (size_t)size * size;
    s->gray = malloc(px * s->cap);
    s->chroma = malloc(2 * px * s->cap);
    s->pyr = calloc(s->cap, sizeof *s->pyr);
    s->fwd = calloc(s->cap, sizeof *s->fwd);
    s->bwd = calloc(s->cap, sizeof *s->bwd);
    s->pyr_of = malloc(s->cap * sizeof(int));
    s->fwd_of = malloc(s->cap * sizeof(int));
    s->bwd_of = malloc(s->cap * sizeof(int));
    s->gate = malloc(s->cap * sizeof(float));
    s->gate_of = malloc(s->cap * sizeof(int));
    if (!s->gray || !s->chroma || !s->pyr || !s->fwd || !s->bwd || !s->pyr_of || !s->fwd_of ||
        !s->bwd_of || !s->gate || !s->gate_of)
        goto nomem;
    if (r > 0) {
        fr_flow_opts fo;
        fr_flow_opts_default(&fo);
        fo.threads = s->threads;
        if ((st = fr_flow_new(&s->flow, size, size, &fo, err)) != FR_OK) {
            fr_smooth_free(s);
            return st;
        }
        for (int i = 0; i < s->cap; i++) {
            if ((st = fr_flow_pyr_new(&s->pyr[i], s->flow, err)) != FR_OK) {
                fr_smooth_free(s);
                return st;
            }
            s->fwd[i] = malloc(2 * px * sizeof(float));
            s->bwd[i] = malloc(2 * px * sizeof(float));
            if (!s->fwd[i] || !s->bwd[i])
                goto nomem;
        }
        s->acc = malloc(3 * px * sizeof(float));
        s->chain = malloc(2 * px * sizeof(float));
        s->cap_w = malloc(2 * px * sizeof(float));
        s->res = malloc(px * sizeof(float));
        s->box = malloc(px * sizeof(float));
        s->wch = malloc(2 * px * sizeof(float));
        s->wt = malloc(px * sizeof(float));
        s->bad = malloc(px);
        if (!s->acc || !s->chain || !s->cap_w || !s->res || !s->box || !s->wch || !s->wt ||
            !s->bad)
            goto nomem;
    }
    fr_smooth_begin(s, 0, -1);
    *out = s;
    return FR_OK;
nomem:
    fr_smooth_free(s);
    return fr_err_set(err, FR_ERR_NOMEM, "smoothing: out of memory for %dx%d frames", size, size);
}

void fr_smooth_begin(fr_smooth *s, int first, int count)
{
    s->first = first < 0 ? 0 : first;
    s->count = count;
    s->pushed = 0;
    s->finished = 0;
    s->next_out = s->first;
    for (int i = 0; i < s->cap; i++)
        s->pyr_of[i] = s->fwd_of[i] = s->bwd_of[i] = s->gate_of[i] = -1;
}

static int radius(const fr_smooth *s) { return active(s) ? s->o.radius : 0; }

static int run_done(const fr_smooth *s)
{
    return s->count >= 0 && s->next_out >= s->first + s->count;
}

fr_status fr_smooth_push(fr_smooth *s, const uint8_t *gray, const uint8_t *chroma, fr_err *err)
{
    if (s->finished)
        return fr_err_set(err, FR_ERR_ARG, "smoothing: push after finish");
    int j = s->pushed, r = radius(s);
    if (!run_done(s) && j >= s->next_out - r) {
        if (j >= s->next_out + r + 2)
            return fr_err_set(err, FR_ERR_ARG,
                              "smoothing: frame %d pushed while output %d is pending (pop first)",
                              j, s->next_out);
        size_t px = (size_t)s->size * s->size;
        int slot = j % s->cap;
        memcpy(s->gray + slot * px, gray, px);
        memcpy(s->chroma + slot * 2 * px, chroma, 2 * px);
        s->pyr_of[slot] = -1;
        s->fwd_of[slot] = s->bwd_of[slot] = s->gate_of[slot] = -1;
    }
    s->pushed++;
    return FR_OK;
}

void fr_smooth_finish(fr_smooth *s) { s->finished = 1; }

/* --- one output frame --------------------------------------------------------------------- */

static const fr_flow_pyr *pyramid(fr_smooth *s, int j)
{
    int slot = j % s->cap;
    if (s->pyr_of[slot] != j) {
        size_t px = (size_t)s->size * s->size;
        fr_flow_prepare(s->flow, s->gray + slot * px, s->size, s->pyr[slot]);
        s->pyr_of[slot] = j;
    }
    return s->pyr[slot];
}

/* Flow of pair (j, j+1): forward maps frame j into j+1, backward maps j+1 into j. */
static const float *pair_flow(fr_smooth *s, int j, int forward)
{
    int slot = j % s->cap;
    int *of = forward ? s->fwd_of : s->bwd_of;
    float *uv = forward ? s->fwd[slot] : s->bwd[slot];
    if (of[slot] != j) {
        const fr_flow_pyr *a = pyramid(s, j), *b = pyramid(s, j + 1);
        if (forward)
            fr_flow_compute(s->flow, a, b, uv);
        else
            fr_flow_compute(s->flow, b, a, uv);
        of[slot] = j;
    }
    return uv;
}

/* Bilinear footprint of a point clamped into a w x w grid: the four pixel indices and the
 * fractions, shared by every plane sampled at that point. */
typedef struct {
    size_t i00, i01, i10, i11; /* (x0,y0) (x1,y0) (x0,y1) (x1,y1) */
    float fx, fy;
} bilin;

static inline bilin bilin_at(int w, float x, float y)
{
    bilin b;
    float hi = (float)(w - 1);
    x = x > 0.0f ? (x < hi ? x : hi) : 0.0f;
    y = y > 0.0f ? (y < hi ? y : hi) : 0.0f;
    int x0 = (int)x, y0 = (int)y;
    int dx = x0 < w - 1, dy = y0 < w - 1;
    b.fx = x - (float)x0;
    b.fy = y - (float)y0;
    b.i00 = (size_t)y0 * w + x0;
    b.i01 = b.i00 + dx;
    b.i10 = b.i00 + (size_t)dy * w;
    b.i11 = b.i10 + dx;
    return b;
}

static inline float lerp2(const bilin *b, float a, float c, float d, float e)
{
    float top = a + b->fx * (c - a), bot = d + b->fx * (e - d);
    return top + b->fy * (bot - top);
}

/* Channel k of an n-channel interleaved plane (float or uint8) at footprint b. */
#define BILIN(p, n, k, b)                                                                        \
    lerp2(&(b), (float)(p)[(n) * (b).i00 + (k)], (float)(p)[(n) * (b).i01 + (k)],                 \
          (float)(p)[(n) * (b).i10 + (k)], (float)(p)[(n) * (b).i11 + (k)])

/* Step k of one side: extends the chain by pair flow F (from the previous frame of the chain
 * to frame j), checks it against the reverse flow R of the same pair, warps frame j (slot js)
 * to frame t (slot ts), and leaves residuals in s->res, warped chroma in s->wch and flags in
 * s->bad where the path leaves the frame or the two flows disagree (occlusion, no match). */
static void warp_step(fr_smooth *s, const float *F, const float *R, int first_step, int ts,
                      int js)
{
    int w = s->size;
    size_t px = (size_t)w * w;
    const uint8_t *gt = s->gray + ts * px, *gj = s->gray + js * px, *cj = s->chroma + js * 2 * px;
    float lim = (float)w - 0.5f;
#pragma omp parallel for num_threads(s->threads) schedule(static)
    for (int y = 0; y < w; y++) {
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            float *c = s->chain + 2 * i, u, v;
            if (first_step) {
                u = F[2 * i];
                v = F[2 * i + 1];
                c[0] = u;
                c[1] = v;
            } else {
                bilin bp = bilin_at(w, (float)x + c[0], (float)y + c[1]);
                u = BILIN(F, 2, 0, bp);
                v = BILIN(F, 2, 1, bp);
                c[0] += u;
                c[1] += v;
            }
            float qx = (float)x + c[0], qy = (float)y + c[1];
            if (!(qx > -0.5f && qy > -0.5f && qx < lim && qy < lim)) {
                s->res[i] = BAD_RESIDUAL;
                s->bad[i] = BAD_OUTSIDE;
                s->wch[2 * i] = s->wch[2 * i + 1] = 128.0f;
                continue;
            }
            bilin bq = bilin_at(w, qx, qy);
            /* forward-backward check (Sundaram et al. 2010) */
            float ru = BILIN(R, 2, 0, bq), rv = BILIN(R, 2, 1, bq);
            float du = u + ru, dv = v + rv;
            float fbe = du * du + dv * dv, fbm = u * u + v * v + ru * ru + rv * rv;
            s->bad[i] = (uint8_t)((fbe > 0.05f * fbm + 2.0f ? BAD_STRICT : 0) |
                                  (fbe > 0.1f * fbm + 9.0f ? BAD_LOOSE : 0));
            s->res[i] = BILIN(gj, 1, 0, bq) - (float)gt[i];
            s->wch[2 * i] = BILIN(cj, 2, 0, bq);
            s->wch[2 * i + 1] = BILIN(cj, 2, 1, bq);
        }
    }
}

/* Median of the in-frame residuals, from an integer histogram (serial: thread-independent). */
static float median_residual(const fr_smooth *s)
{
    static const int nb = 511;
    long hist[511] = {0}, n = 0;
    size_t px = (size_t)s->size * s->size;
    for (size_t i = 0; i < px; i++) {
        float e = s->res[i];
        if (e >= BAD_RESIDUAL)
            continue;
        float f = e + 255.5f; /* floor(e + 0.5) + 255, by truncation of a positive number */
        int b = f <= 0 ? 0 : (int)f;
        hist[b >= nb ? nb - 1 : b]++;
        n++;
    }
    if (n == 0)
        return 0;
    long half = (n + 1) / 2, run = 0;
    for (int b = 0; b < nb; b++) {
        run += hist[b];
        if (run >= half)
            return (float)(b - 255);
    }
    return 0;
}

/* Squared residuals (median m removed) summed over 5 x 5 pixels, into s->box; mirrored edges.
 * Pixels whose path left the frame count as a full mismatch. Each sum adds its five terms in
 * the same order whatever the row split. */
static void residual_energy(fr_smooth *s, float m)
{
    int w = s->size;
#pragma omp parallel for num_threads(s->threads) schedule(static)
    for (int y = 0; y < w; y++) {
        const float *e = s->res + (size_t)y * w;
        float *d2 = s->box + (size_t)y * w, *h = s->wt + (size_t)y * w;
        for (int x = 0; x < w; x++) {
            float d = e[x] >= BAD_RESIDUAL ? BAD_RESIDUAL : e[x] - m;
            d2[x] = d * d;
        }
        h[0] = d2[2] + d2[1] + d2[0] + d2[1] + d2[2];
        h[1] = d2[1] + d2[0] + d2[1] + d2[2] + d2[3];
        for (int x = 2; x < w - 2; x++)
            h[x] = d2[x - 2] + d2[x - 1] + d2[x] + d2[x + 1] + d2[x + 2];
        h[w - 2] = d2[w - 4] + d2[w - 3] + d2[w - 2] + d2[w - 1] + d2[w - 2];
        h[w - 1] = d2[w - 3] + d2[w - 2] + d2[w - 1] + d2[w - 2] + d2[w - 3];
    }
#pragma omp parallel for num_threads(s->threads) schedule(static)
    for (int y = 0; y < w; y++) {
        const float *r[5];
        for (int k = -2; k <= 2; k++) {
            int yy = y + k < 0 ? -(y + k) : y + k >= w ? 2 * w - 2 - (y + k) : y + k;
            r[k + 2] = s->wt + (size_t)yy * w;
        }
        float *o = s->box + (size_t)y * w;
        for (int x = 0; x < w; x++)
            o[x] = r[0][x] + r[1][x] + r[2][x] + r[3][x] + r[4][x];
    }
}

/* The match weight of a pixel, before strength and caps: 1 for a perfect match, 0 where the
 * path fails the given checks (BAD_* bits). */
static inline float match_weight(const fr_smooth *s, size_t i, float inv, int checks)
{
    return (s->bad[i] & checks) ? 0.0f : expf(-s->box[i] * inv);
}

static float energy_scale(const fr_smooth *s)
{
    return (float)(1.0 / (2.0 * s->o.tolerance * s->o.tolerance)) / 25.0f;
}

/* How much the pair (j, j+1) can be trusted at all: the fraction of frame j that frame j+1
 * matches along the flow. Unrelated pictures (a cut, a flash, a torn frame) match a few per
 * cent; consecutive frames of even fast motion, a third or more. The gate fades from 1 at 30%
 * to 0 at 15%. Depends on the two frames alone, so it is cached with the pair. */
static float pair_gate(fr_smooth *s, int j)
{
    int slot = j % s->cap;
    if (s->gate_of[slot] == j)
        return s->gate[slot];
    const float *F = pair_flow(s, j, 1), *R = pair_flow(s, j, 0);
    warp_step(s, F, R, 1, j % s->cap, (j + 1) % s->cap);
    residual_energy(s, median_residual(s));
    float inv = energy_scale(s);
    size_t px = (size_t)s->size * s->size;
    long good = 0;
    for (size_t i = 0; i < px; i++)
        good += match_weight(s, i, inv, BAD_OUTSIDE | BAD_STRICT) > 0.5f;
    float g = ((float)good / (float)px - 0.15f) / 0.15f;
    g = g < 0 ? 0 : g > 1 ? 1 : g;
    s->gate_of[slot] = j;
    s->gate[slot] = g;
    return g;
}

static void smooth_one(fr_smooth *s, int t, int lo, int hi, uint8_t *out)
{
    int w = s->size, r = radius(s);
    size_t px = (size_t)w * w;
    int ts = t % s->cap;
    /* the gates use the scratch planes, so settle them before the blend starts */
    for (int j = lo; j < hi; j++)
        pair_gate(s, j);
    const uint8_t *ct = s->chroma + ts * 2 * px;
#pragma omp parallel for num_threads(s->threads) schedule(static)
    for (int y = 0; y < w; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            s->acc[3 * i] = ct[2 * i];
            s->acc[3 * i + 1] = ct[2 * i + 1];
            s->acc[3 * i + 2] = 1.0f;
            s->cap_w[2 * i] = s->cap_w[2 * i + 1] = 1.0f;
        }
    float inv = energy_scale(s), str = (float)s->o.strength;
    for (int side = -1; side <= 1; side += 2) {
        float gate = 1.0f;
        float *capw = s->cap_w + (side > 0); /* every other float: one cap per side */
        for (int k = 1; k <= r; k++) {
            int j = t + side * k, pair = side > 0 ? j - 1 : j;
            if (j < lo || j > hi)
                break;
            float g = pair_gate(s, pair);
            gate = gate < g ? gate : g;
            if (gate <= 0)
                break;
            const float *F = pair_flow(s, pair, side > 0), *R = pair_flow(s, pair, side < 0);
            warp_step(s, F, R, k == 1, ts, j % s->cap);
            residual_energy(s, median_residual(s));
            float sg = str * gate;
#pragma omp parallel for num_threads(s->threads) schedule(static)
            for (int y = 0; y < w; y++)
                for (int x = 0; x < w; x++) {
                    size_t i = (size_t)y * w + x;
                    float wt = match_weight(s, i, inv, BAD_OUTSIDE | BAD_LOOSE);
                    if (wt > capw[2 * i])
                        wt = capw[2 * i];
                    capw[2 * i] = wt;
                    wt *= sg;
                    s->acc[3 * i] += wt * s->wch[2 * i];
                    s->acc[3 * i + 1] += wt * s->wch[2 * i + 1];
                    s->acc[3 * i + 2] += wt;
                }
        }
    }
#pragma omp parallel for num_threads(s->threads) schedule(static)
    for (int y = 0; y < w; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            for (int c = 0; c < 2; c++) {
                float v = floorf(s->acc[3 * i + c] / s->acc[3 * i + 2] + 0.5f);
                out[2 * i + c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
        }
}

fr_status fr_smooth_pop(fr_smooth *s, uint8_t *chroma_out, int *index, fr_err *err)
{
    (void)err;
    int t = s->next_out, r = radius(s);
    if (run_done(s) || t >= s->pushed)
        return FR_EOF;
    if (!s->finished && s->pushed <= t + r)
        return FR_EOF;
    int lo = t - r < 0 ? 0 : t - r;
    int hi = t + r < s->pushed - 1 ? t + r : s->pushed - 1;
    size_t px = (size_t)s->size * s->size;
    if (r == 0)
        memcpy(chroma_out, s->chroma + (t % s->cap) * 2 * px, 2 * px);
    else
        smooth_one(s, t, lo, hi, chroma_out);
    *index = t;
    s->next_out++;
    return FR_OK;
}

fr_status fr_smooth_run(fr_smooth *s, const uint8_t *gray, const uint8_t *chroma, int n,
                        int first, int count, uint8_t *out, fr_err *err)
{
    if (n < 0 || first < 0 || (n > 0 && first >= n) || (count >= 0 && first + count > n))
        return fr_err_set(err, FR_ERR_ARG, "smoothing: frames %d+%d of %d out of range", first,
                          count, n);
    if (count < 0)
        count = n - first;
    int r = radius(s), lo = first - r < 0 ? 0 : first - r;
    int hi = first + count + r < n ? first + count + r : n;
    size_t px = (size_t)s->size * s->size;
    fr_smooth_begin(s, first - lo, count);
    for (int j = lo; j <= hi; j++) {
        if (j == hi)
            fr_smooth_finish(s);
        else {
            fr_status st = fr_smooth_push(s, gray + j * px, chroma + j * 2 * px, err);
            if (st != FR_OK)
                return st;
        }
        int idx;
        while (fr_smooth_pop(s, out, &idx, err) == FR_OK)
            out += 2 * px;
    }
    return FR_OK;
}

fr_status fr_smooth_frame(fr_smooth *s, const uint8_t *const *gray,
                          const uint8_t *const *chroma, int n, int center, uint8_t *out,
                          fr_err *err)
{
    if (n < 1 || center < 0 || center >= n)
        return fr_err_set(err, FR_ERR_ARG, "smoothing: frame %d of a window of %d", center, n);
    int r = radius(s), lo = center - r < 0 ? 0 : center - r;
    int hi = center + r + 1 < n ? center + r + 1 : n;
    fr_smooth_begin(s, center - lo, 1);
    for (int j = lo; j < hi; j++) {
        fr_status st = fr_smooth_push(s, gray[j], chroma[j], err);
        if (st != FR_OK)
            return st;
    }
    fr_smooth_finish(s);
    int idx;
    if (fr_smooth_pop(s, out, &idx, err) != FR_OK)
        return fr_err_set(err, FR_ERR_INTERNAL, "smoothing: no output for frame %d", center);
    return FR_OK;
}
