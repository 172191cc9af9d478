/* shots.c: the streaming shot-boundary detector (see shots.h, docs/shots.md).
 *
 * Each pushed frame becomes a thumbnail (shared/fr_shots_feat.c; made here, or on a node
 * and pushed with fr_shots_push_thumb) in a ring of
 * `cap` slots; frame t lives in slot t % cap. Three decisions run behind the
 * newest frame n, each as soon as everything it looks at has arrived:
 *
 *   cut stage, frame t = n - F (F = flash_frames):
 *     - a hard cut at t when the change d(t-1, t) is large in itself
 *       (cut_threshold), stands out from its neighbours' changes on at least
 *       one side (cut_ratio: flicker, grain and fast motion raise the changes
 *       on both sides alike), and the
 *       picture does not come back within F frames, neither forwards
 *       (d(t-1, t+j)) nor backwards (d(t-1-j, t)): a flash, a burst of flicker
 *       or a damaged frame comes back; a cut does not.
 *     - fades: thumbnails with almost no contrast are blank. When a run of blank
 *       frames ends, the picture before the run is compared with the picture
 *       after it; if they differ, the run's middle is a gradual boundary. A flash
 *       to white and back is a blank run with the same picture on both sides.
 *   gradual stage, frame t = n - F - K (K = gradual_span):
 *     - a dissolve at t when the frames t-K and t+K differ (gradual_threshold)
 *       and frame t is far better explained as a blend of them than as either
 *       one (blend_gain), with less contrast than the ends (blend_dip: two
 *       unrelated pictures averaged cancel each other's detail), with no cut and
 *       no blank frame in between. Both ends
 *       are first moved onto frame t by the global shift that aligns them best:
 *       a pan's middle frame is then its ends moved, and no blend.
 *       Consecutive passing frames form a run; its middle is the boundary.
 *
 * Found boundaries wait in a small sorted queue until no later decision can
 * touch them (two boundaries closer than min_shot: a cut beats a gradual, the
 * first beats the second), then fr_shots_pop hands them out in order.
 *
 * Detector 2 (issue 26, the default; `detector` 1 keeps the rules above alone) is
 * built for damaged prints: blank frames are judged on the thumbnail's median contrast
 * (dust and scratches on black), fades through black ask less of their dim sides,
 * dissolves are tested at spans K, 2K and 3K (the gradual stage then runs at
 * t = n - F - 3K) and also pass by their contrast dip alone, runs bridge short gaps, the
 * surer of two close cuts stays, and a cut may be small when it towers over both
 * sides. Every boundary gets a confidence: how far its tests cleared their thresholds
 * (conf_of). docs/shots.md gives the reasons and the measures. */
#include "shots.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fr_shots_feat.h"

#define FR_SHOTS_QUEUE 64    /* pending boundaries; far more than a span can hold */
#define FR_MIN_BLEND 0.15f   /* each end's least weight in a dissolve's middle frame */
#define FR_MIN_UNEXPLAINED 0.2f /* share of a dissolve's middle that neither end explains */
#define FR_REACH 4           /* camera motion undone: coarse cells (about 1/16 of the width) */
#define FR_SPANS 3           /* detector 2: dissolves tested at spans K, 2K and 3K */
#define FR_DIP 0.8f         /* detector 2: a dissolve's middle has under this share of the
                               contrast its ends average (3 frames each) ... */
#define FR_DIP_GAIN 0.1f    /* ... and a blend of them explains at least this much more */
#define FR_DIP_LEVEL 0.1f   /* ... and the levels (0..1) of t-1..t+1 stay this near the line
                               between the ends' levels */
#define FR_DIP_RUN 3        /* frames a run that passed by its dip alone needs */
#define FR_SPAN_GROWTH 0.9f /* the next span's ends may differ this much less, at most */
#define FR_BLACK 0.1f       /* detector 2: a level (0..1) this dark ... */
#define FR_BLACK_SIGMA 3.0f /* ... is blank under this many flat_sigma of contrast */
#define FR_FADE_SHARE 0.75f /* detector 2: a fade's sides differ by this share of gradual_threshold */
#define FR_SPIKE_SHARE 0.67f /* detector 2: a cut may change by this share of cut_threshold ... */
#define FR_SPIKE_RATIO 4.0f  /* ... when it is this many times both sides' largest change */
#define FR_LEADER_CONF 0.6f  /* a long blank run decided before its far side is seen */

struct fr_shots {
    fr_shots_opts o;
    int gw, gh, cells;          /* thumbnail grid, fixed by the first frame */
    fr_thumber *thumber;
    int v2;                     /* detector 2 (issue 26) */
    int spans;                  /* dissolve spans tested: K, 2K, ... (1 for detector 1) */
    int kmax;                   /* the widest, spans * K */
    int cap;                    /* ring slots */
    fr_thumb *ring;             /* cap thumbnails */
    fr_thumb_dist *step;        /* cap: d(t-1, t); .d < 0 when either frame is blank */
    uint8_t *cut;               /* cap: 1 when frame t opens a cut */
    float *scratch;             /* for fr_thumb_blend_moved */
    int64_t n;                  /* frames pushed */
    int64_t cut_done, grad_done;/* next frame for each stage */
    int64_t flat_start;         /* first frame of the blank run in progress, or -1 */
    int flat_done;              /* that run was long and its boundary already given */
    fr_thumb before;            /* picture before that run */
    int have_before;
    int64_t run_start, run_end; /* dissolve run in progress, or -1 */
    int run_block;              /* a run was cut short: no new one until a frame fails */
    float run_score;
    float run_conf;             /* best confidence of its frames */
    int run_span;               /* widest span that passed in it */
    int run_blend;              /* a frame of it passed by the blend fit, not the dip alone */
    fr_shot_boundary q[FR_SHOTS_QUEUE];
    int qn;
    int64_t last_out;           /* frame of the last boundary handed out, or -1 */
    fr_shot_kind last_kind;
    int finished;
    FILE *trace;
};

fr_status fr_shots_new(fr_shots **out, const fr_shots_opts *opts, fr_err *err)
{
    *out = NULL;
    fr_shots_opts o;
    if (opts)
        o = *opts;
    else
        fr_shots_defaults(&o);
    fr_status st = fr_shots_opts_check(&o, err);
    if (st != FR_OK)
        return st;
    fr_shots *s = calloc(1, sizeof *s);
    if (!s)
        return fr_err_set(err, FR_ERR_NOMEM, "shots: out of memory");
    s->o = o;
    s->v2 = o.detector >= 2;
    s->spans = s->v2 ? FR_SPANS : 1;
    s->kmax = s->spans * o.gradual_span;
    s->cap = 2 * o.flash_frames + 2 * s->kmax + 4;
    s->flat_start = s->run_start = s->run_end = s->last_out = -1;
    *out = s;
    return FR_OK;
}

void fr_shots_free(fr_shots *s)
{
    if (!s)
        return;
    if (s->ring)
        for (int i = 0; i < s->cap; i++)
            fr_thumb_release(&s->ring[i]);
    free(s->ring);
    free(s->step);
    free(s->cut);
    free(s->scratch);
    fr_thumb_release(&s->before);
    fr_thumber_free(s->thumber);
    free(s);
}

void fr_shots_set_trace(fr_shots *s, FILE *f)
{
    s->trace = f;
    if (f)
        fprintf(f, "frame,mean,sigma,rsigma,flat,d,pix,hist,cut,span,%s,gradual\n",
                s->spans > 1 ? "gd,gain,single,a,b,gd2,gain2,single2,a2,b2,gd3,gain3,single3,a3,b3"
                             : "gd,gain,single,a,b");
}

/* Longest blank run or dissolve run waited for: longer ones are decided early, so
 * that fr_shots_lag is a true bound. */
static int64_t max_run(const fr_shots *s) { return 4 * (int64_t)s->o.gradual_span; }

int fr_shots_lag(const fr_shots *s)
{
    /* the gradual stage trails by F + K; a run (blank or dissolve) is decided within
     * max_run of its start; a boundary then waits min_shot for its neighbours */
    return s->o.flash_frames + s->kmax + (int)max_run(s) + s->o.min_shot + 2;
}

static fr_status setup(fr_shots *s, int gw, int gh, fr_err *err)
{
    s->gw = gw;
    s->gh = gh;
    s->cells = s->gw * s->gh;
    s->ring = calloc((size_t)s->cap, sizeof *s->ring);
    s->step = calloc((size_t)s->cap, sizeof *s->step);
    s->cut = calloc((size_t)s->cap, 1);
    s->scratch = calloc((size_t)3 * (s->gw / 2) * (s->gh / 2), sizeof *s->scratch);
    if (!s->ring || !s->step || !s->cut || !s->scratch)
        return fr_err_set(err, FR_ERR_NOMEM, "shots: out of memory");
    fr_status st;
    for (int i = 0; i < s->cap; i++)
        if ((st = fr_thumb_alloc(&s->ring[i], s->gw, s->gh, err)) != FR_OK)
            return st;
    return fr_thumb_alloc(&s->before, s->gw, s->gh, err);
}

static fr_thumb *at(fr_shots *s, int64_t t) { return &s->ring[t % s->cap]; }

/* A blank frame (the bottom of a fade, black leader). Detector 2 judges the contrast
 * after the median, so that dust and scratches on black leave it blank. */
static int blank(const fr_shots *s, const fr_thumb *th)
{
    if (!s->v2)
        return th->flat;
    /* near black, heavy grain leaves more contrast than flat_sigma: a frame that dark
     * is blank up to FR_BLACK_SIGMA times it */
    return th->dark && (th->rsigma < s->o.flat_sigma ||
                        (th->mean < FR_BLACK && th->rsigma < FR_BLACK_SIGMA * s->o.flat_sigma));
}

/* A nearly blank frame, whose normalised noise jumps like a cut. */
static int dim(const fr_shots *s, const fr_thumb *th)
{
    return th->dark && (s->v2 ? th->rsigma : th->sigma) < 2 * s->o.flat_sigma;
}

/* A test's measure over its threshold (1: just passed) as a confidence: 0.5 at the
 * threshold, 1 at twice it, 0 at half; log-scaled, so that each doubling counts alike. */
static float conf_of(double ratio)
{
    if (!(ratio > 0))
        return 0.0f;
    double c = 0.5 + 0.5 * log2(ratio);
    return (float)(c < 0 ? 0 : c > 1 ? 1 : c);
}

static float dist(fr_shots *s, const fr_thumb *a, const fr_thumb *b)
{
    fr_thumb_dist d;
    fr_thumb_distance(a, b, s->gw, s->gh, &d);
    return d.d;
}

/* Queues a boundary, settling conflicts closer than min_shot. */
static void add(fr_shots *s, int64_t frame, fr_shot_kind kind, int length, float score, float conf)
{
    if (s->last_out >= 0 && frame - s->last_out < s->o.min_shot)
        return;
    for (int i = 0; i < s->qn; i++) {
        fr_shot_boundary *b = &s->q[i];
        if (llabs(b->frame - frame) >= s->o.min_shot)
            continue;
        /* a cut beats a gradual; with detector 2 the surer of two cuts stays (a false
         * cut in noisy footage a few frames before the real one took its place) */
        if (kind == FR_SHOT_CUT &&
            (b->kind == FR_SHOT_GRADUAL || (s->v2 && b->kind == FR_SHOT_CUT && conf > b->confidence))) {
            memmove(b, b + 1, (size_t)(s->qn - i - 1) * sizeof *b);
            s->qn--;
            i--;
            continue;
        }
        return;
    }
    if (s->qn == FR_SHOTS_QUEUE)
        return; /* cannot happen: min_shot spacing bounds the queue */
    int i = s->qn;
    while (i > 0 && s->q[i - 1].frame > frame) {
        s->q[i] = s->q[i - 1];
        i--;
    }
    s->q[i] = (fr_shot_boundary){.frame = frame, .kind = kind, .length = length, .score = score, .confidence = conf};
    s->qn++;
}

static void drop_cuts(fr_shots *s, int64_t from, int64_t to)
{
    int k = 0;
    for (int i = 0; i < s->qn; i++)
        if (!(s->q[i].kind == FR_SHOT_CUT && s->q[i].frame >= from && s->q[i].frame <= to))
            s->q[k++] = s->q[i];
    s->qn = k;
}

static void cut_stage(fr_shots *s, int64_t t)
{
    const int64_t newest = s->n - 1;
    const int F = s->o.flash_frames;
    fr_thumb *cur = at(s, t);
    s->cut[t % s->cap] = 0;
    /* blank runs: fades through black (or white) */
    const int cur_blank = blank(s, cur);
    if (cur_blank && s->flat_start >= 0 && !s->flat_done && t - s->flat_start + 1 >= max_run(s)) {
        /* a long blank run (black leader): its boundary cannot wait for the end */
        if (s->have_before) {
            drop_cuts(s, s->flat_start - s->o.gradual_span, t);
            add(s, s->flat_start + max_run(s) / 2, FR_SHOT_GRADUAL, max_run(s), 1.0f, FR_LEADER_CONF);
        }
        s->flat_done = 1;
    }
    if (cur_blank && s->flat_start < 0) {
        s->flat_start = t;
        s->flat_done = 0;
        s->have_before = 0;
        for (int64_t b = t - 3; b < t; b++)
            if (b >= 0 && !blank(s, at(s, b))) {
                fr_thumb_copy(&s->before, at(s, b), s->gw, s->gh);
                s->have_before = 1;
                break;
            }
    } else if (!cur_blank && s->flat_start >= 0) {
        int64_t after = t;
        for (int64_t a = t + 2 < newest ? t + 2 : newest; a > t; a--)
            if (!blank(s, at(s, a))) {
                after = a;
                break;
            }
        if (s->have_before && !s->flat_done) {
            float d = dist(s, &s->before, at(s, after));
            /* detector 2 asks less of a fade: its sides are dim, and once normalised
             * their grain and dust hide part of the change (the same picture on both
             * sides of a blank run, a flash to black, stays far under). Not through
             * white: a flash to white is far more common than a fade */
            float need = s->v2 && at(s, t - 1)->mean < 0.5f ? FR_FADE_SHARE * s->o.gradual_threshold
                                                             : s->o.gradual_threshold;
            if (d >= need) {
                /* a fade's dim frames can jump like a cut: the fade is the boundary */
                drop_cuts(s, s->flat_start - s->o.gradual_span, t + s->o.gradual_span);
                add(s, (s->flat_start + t) / 2, FR_SHOT_GRADUAL, (int)(t - s->flat_start), d,
                    conf_of(d / need));
            }
        }
        s->flat_start = -1;
    }
    /* hard cuts */
    float st = s->step[t % s->cap].d;
    if (t < 1 || st < 0)
        return;
    float before = 0, after = 0;
    for (int j = 1; j <= s->o.cut_neighbours; j++) {
        if (t - j >= 1 && s->step[(t - j) % s->cap].d > before)
            before = s->step[(t - j) % s->cap].d;
        if (t + j <= newest && s->step[(t + j) % s->cap].d > after)
            after = s->step[(t + j) % s->cap].d;
    }
    /* detector 2: a change under the threshold that towers over both sides is a cut
     * between two alike pictures (two night views of lit towers) */
    const float loud = before > after ? before : after;
    const int spike = s->v2 && st >= FR_SPIKE_SHARE * s->o.cut_threshold && st >= FR_SPIKE_RATIO * loud;
    if (st < s->o.cut_threshold && !spike)
        return;
    /* nearly blank frames: their normalised noise jumps. A cut into one is left to
     * the fade logic; a cut out of one (a fade out, then a hard cut) must also
     * differ from the last real picture before it, or it is a shot rising from black */
    if (dim(s, cur))
        return;
    if (dim(s, at(s, t - 1))) {
        int64_t b = t - 2, lo = t - 1 - F - s->o.gradual_span;
        while (b >= 0 && b >= lo && dim(s, at(s, b)))
            b--;
        if (b < 0 || b < lo || dist(s, at(s, b), cur) < s->o.cut_threshold)
            return;
    }
    /* it must stand out from the changes on at least one side: footage that jumps
     * every frame (fast motion, heavy flicker, stop motion) does on both sides */
    const float calm = before < after ? before : after;
    if (st < s->o.cut_ratio * calm)
        return;
    const float back = s->o.flash_ratio * st;
    float ret = 2 * st; /* the nearest the picture came back, for the confidence */
    for (int j = 1; j <= F; j++) {
        float d;
        if (t + j <= newest && !blank(s, at(s, t + j)) && (d = dist(s, at(s, t - 1), at(s, t + j))) < ret &&
            (ret = d) < back)
            return;
        if (t - 1 - j >= 0 && !blank(s, at(s, t - 1 - j)) && (d = dist(s, at(s, t - 1 - j), cur)) < ret &&
            (ret = d) < back)
            return;
    }
    s->cut[t % s->cap] = 1;
    float c = conf_of(st / s->o.cut_threshold), c2 = calm > 0 ? conf_of(st / (s->o.cut_ratio * calm)) : 1.0f,
          c3 = back > 0 ? conf_of(ret / back) : 1.0f;
    c = c < c2 ? c : c2;
    add(s, t, FR_SHOT_CUT, 0, st, c < c3 ? c : c3);
}

static void close_run(fr_shots *s)
{
    if (s->run_start < 0)
        return;
    /* a lone passing frame is noise, and so are two that passed by their dip alone */
    if (s->run_end - s->run_start + 1 >= (s->run_blend ? 2 : FR_DIP_RUN)) {
        /* a short run is less sure: 2 passing frames keep 0.8 of it, 3 keep 0.9 */
        int64_t len = s->run_end - s->run_start + 1;
        float c = s->run_conf * (len >= 4 ? 1.0f : 0.5f + 0.1f * (float)len);
        add(s, (s->run_start + s->run_end + 1) / 2, FR_SHOT_GRADUAL,
            (int)(s->run_end - s->run_start) + s->run_span, s->run_score, c);
    }
    s->run_start = s->run_end = -1;
}

/* Frame t's contrast (sigma before normalising), averaged over t-1..t+1 where they exist. */
static float sigma3(fr_shots *s, int64_t t)
{
    float sum = 0;
    int n = 0;
    for (int64_t j = t - 1; j <= t + 1; j++)
        if (j >= 0 && j <= s->n - 1) {
            sum += at(s, j)->sigma;
            n++;
        }
    return n ? sum / (float)n : 0.0f;
}

/* The same for its mean level. */
static float mean3(fr_shots *s, int64_t t)
{
    float sum = 0;
    int n = 0;
    for (int64_t j = t - 1; j <= t + 1; j++)
        if (j >= 0 && j <= s->n - 1) {
            sum += at(s, j)->mean;
            n++;
        }
    return n ? sum / (float)n : 0.0f;
}

/* The ends of the dissolve test of frame t at span k: 1 when the window [t-k, t+k] is
 * whole, with no blank frame and no cut inside, and then gd gets the ends' change. */
static int span_ends(fr_shots *s, int64_t t, int k, fr_thumb_dist *gd)
{
    memset(gd, 0, sizeof *gd);
    if (t - k < 0 || t + k > s->n - 1)
        return 0;
    for (int64_t j = t - k; j <= t + k; j++)
        if (blank(s, at(s, j)) || (j > t - k && s->cut[j % s->cap]))
            return 0;
    fr_thumb_distance(at(s, t - k), at(s, t + k), s->gw, s->gh, gd);
    return 1;
}

/* The contrast dip of frame t at span k (detector 2), but for the blend's gain. Two
 * pictures averaged have less contrast than the line between their contrasts (0.71 of
 * it for equal, unrelated ones); motion inside the dissolve breaks the blend fit, but
 * not the dip. Flicker moves a frame's contrast by a few percent, so each contrast is
 * averaged over 3 frames. *ratio gets FR_DIP * ends / middle (1: just). */
static int dip_at(fr_shots *s, int64_t t, int k, float *ratio)
{
    float ends = 0.5f * (sigma3(s, t - k) + sigma3(s, t + k)), mid = sigma3(s, t);
    if (!s->v2 || !(ends > 0) || mid >= FR_DIP * ends)
        return 0;
    /* a flash washes the contrast out too, but lifts the level far off the line between
     * the ends' levels, where a dissolve keeps it */
    float m0 = mean3(s, t - k), m1 = mean3(s, t + k);
    for (int64_t j = t - 1; j <= t + 1; j++)
        if (fabsf(at(s, j)->mean - (m0 + (m1 - m0) * (float)(j - t + k) / (float)(2 * k))) > FR_DIP_LEVEL)
            return 0;
    *ratio = FR_DIP * ends / (mid > 1e-6f ? mid : 1e-6f);
    return 1;
}

/* The dissolve test of frame t at span k, once its ends differ (gd): 1 when t is a blend
 * of frames t-k and t+k (see the file's header), 2 (detector 2) when it passes by its
 * contrast dip, with a blend explaining at least FR_DIP_GAIN; 0 otherwise. A blend that
 * passes where `spread` is 0 (a wider span whose ends do not grow apart) fails, and its
 * dip is not asked; the fit, the costly part, runs only where its answer can count.
 * bl gets the fit (zero when it did not run), *conf the confidence. */
static int dissolve_at(fr_shots *s, int64_t t, int k, int spread, const fr_thumb_dist *gd, fr_thumb_blend *bl,
                       float *conf)
{
    memset(bl, 0, sizeof *bl);
    float ratio = 0;
    int dip = dip_at(s, t, k, &ratio);
    if (!spread && !dip)
        return 0;
    fr_thumb_blend_moved(at(s, t - k), at(s, t), at(s, t + k), s->gw, s->gh, FR_REACH, s->scratch, bl);
    int pass = bl->gain >= s->o.blend_gain && bl->single >= FR_MIN_UNEXPLAINED && bl->a > FR_MIN_BLEND &&
               bl->b > FR_MIN_BLEND && bl->a + bl->b >= s->o.blend_dip;
    if (pass && !spread)
        return 0;
    float c = conf_of(gd->d / s->o.gradual_threshold);
    if (pass) {
        float c2 = conf_of(bl->gain / s->o.blend_gain);
        /* the dip counts from 1, where motion inside one shot sits */
        float c3 = s->o.blend_dip > 1 ? conf_of((bl->a + bl->b - 1) / (s->o.blend_dip - 1)) : 1.0f;
        c = c < c2 ? c : c2;
        *conf = c < c3 ? c : c3;
        return 1;
    }
    if (!dip || bl->gain < FR_DIP_GAIN)
        return 0;
    float c2 = conf_of(ratio), c3 = conf_of(bl->gain / FR_DIP_GAIN);
    c = c < c2 ? c : c2;
    *conf = c < c3 ? c : c3;
    return 2;
}

/* Failing frames a dissolve run may bridge (detector 2): 2, or K/4 for a wide span. */
static int64_t run_gap(const fr_shots *s) { return s->o.gradual_span / 4 > 2 ? s->o.gradual_span / 4 : 2; }

static void gradual_stage(fr_shots *s, int64_t t)
{
    const int K = s->o.gradual_span;
    fr_thumb_dist gd[FR_SPANS];
    fr_thumb_blend bl[FR_SPANS];
    float conf = 0;
    int pass = 0, span = K, best = 0, blend = 0;
    /* detector 2 also tries 2K and 3K: a long dissolve's frames K apart are both blends,
     * too alike to pass, while frames 3K apart lie outside it */
    int ok[FR_SPANS], tested[FR_SPANS];
    float cs[FR_SPANS];
    for (int i = 0; i < s->spans; i++)
        tested[i] = span_ends(s, t, (i + 1) * K, &gd[i]);
    for (int i = 0; i < s->spans; i++) {
        cs[i] = 0;
        memset(&bl[i], 0, sizeof bl[i]);
        /* a wider span's blend counts only while the ends' difference grows with it, as
         * it does across a dissolve into pure shots; motion that swings back (a wave, a
         * pendulum) passes at one span with its ends closer at the next */
        int spread = !(i > 0 && gd[i - 1].d > 0 && gd[i].d < gd[i - 1].d) &&
                     !(i > 0 && i + 1 < s->spans && gd[i + 1].d > 0 && gd[i + 1].d < FR_SPAN_GROWTH * gd[i].d);
        ok[i] = tested[i] && gd[i].d >= s->o.gradual_threshold
                    ? dissolve_at(s, t, (i + 1) * K, spread, &gd[i], &bl[i], &cs[i])
                    : 0;
    }
    for (int i = 0; i < s->spans; i++) {
        if (ok[i] && (!pass || cs[i] > conf)) {
            conf = cs[i];
            span = (i + 1) * K;
            best = i;
        }
        pass |= ok[i] != 0;
        blend |= ok[i] == 1;
    }
    if (pass && !s->run_block) {
        if (s->run_start < 0) {
            s->run_start = t;
            s->run_score = 0;
            s->run_conf = 0;
            s->run_span = K;
            s->run_blend = 0;
        }
        s->run_end = t;
        if (gd[best].d * bl[best].gain > s->run_score)
            s->run_score = gd[best].d * bl[best].gain;
        if (conf > s->run_conf)
            s->run_conf = conf;
        s->run_blend |= blend;
        if (span > s->run_span)
            s->run_span = span;
        if (t - s->run_start + 1 >= max_run(s)) {
            close_run(s);
            s->run_block = 1;
        }
    } else if (!pass && !(s->v2 && s->run_start >= 0 && t - s->run_end <= run_gap(s))) {
        /* detector 2 bridges a short gap of failing frames: a dissolve whose run broke in
         * two gave two boundaries, one of them stray */
        close_run(s);
        s->run_block = 0;
    }
    if (s->trace) {
        const fr_thumb *th = at(s, t);
        const fr_thumb_dist *d = &s->step[t % s->cap];
        fprintf(s->trace, "%lld,%.4f,%.4f,%.4f,%d,%.4f,%.4f,%.4f,%d,%d", (long long)t, th->mean, th->sigma,
                th->rsigma, blank(s, th), d->d, d->pix, d->hist, s->cut[t % s->cap], pass ? span : 0);
        for (int i = 0; i < s->spans; i++)
            fprintf(s->trace, ",%.4f,%.4f,%.4f,%.3f,%.3f", gd[i].d, bl[i].gain, bl[i].single, bl[i].a, bl[i].b);
        fprintf(s->trace, ",%d\n", pass);
    }
}

/* Earliest frame a later decision could still add a boundary at. */
static int64_t frontier(const fr_shots *s)
{
    int64_t lo = s->grad_done;
    if (s->run_start >= 0 && s->run_start < lo)
        lo = s->run_start;
    if (s->flat_start >= 0 && !s->flat_done && s->flat_start < lo)
        lo = s->flat_start;
    return lo;
}

/* The next frame's slot, checked: index must follow the last frame pushed. */
static fr_status next_slot(fr_shots *s, int gw, int gh, int64_t index, fr_thumb **cur, fr_err *err)
{
    if (s->finished)
        return fr_err_set(err, FR_ERR_ARG, "shots: push after finish");
    if (index != s->n)
        return fr_err_set(err, FR_ERR_ARG, "shots: frame %lld pushed, %lld expected",
                          (long long)index, (long long)s->n);
    fr_status st;
    if (!s->ring && (st = setup(s, gw, gh, err)) != FR_OK)
        return st;
    if (gw != s->gw || gh != s->gh)
        return fr_err_set(err, FR_ERR_INPUT, "shots: frame %lld has a %dx%d grid, the film %dx%d (the picture size changed)",
                          (long long)index, gw, gh, s->gw, s->gh);
    *cur = at(s, s->n);
    return FR_OK;
}

/* The decisions, once frame s->n's thumbnail is in its slot. */
static void decide(fr_shots *s)
{
    const int64_t t = s->n;
    fr_thumb *cur = at(s, t);
    fr_thumb_dist *d = &s->step[t % s->cap];
    memset(d, 0, sizeof *d);
    d->d = -1;
    if (t > 0 && !blank(s, cur) && !blank(s, at(s, t - 1)))
        fr_thumb_distance(at(s, t - 1), cur, s->gw, s->gh, d);
    s->n++;
    while (s->cut_done <= s->n - 1 - s->o.flash_frames)
        cut_stage(s, s->cut_done++);
    while (s->grad_done <= s->n - 1 - s->o.flash_frames - s->kmax)
        gradual_stage(s, s->grad_done++);
}

fr_status fr_shots_push(fr_shots *s, const fr_plane *luma, int64_t index, fr_err *err)
{
    if (!luma || luma->width < 8 || luma->height < 8)
        return fr_err_set(err, FR_ERR_ARG, "shot detector: luma plane missing or too small");
    int gw, gh;
    fr_thumb_grid_size(luma->width, luma->height, s->o.grid, &gw, &gh);
    fr_thumb *cur;
    fr_status st = next_slot(s, gw, gh, index, &cur, err);
    if (st == FR_OK && !s->thumber)
        st = fr_thumber_new(&s->thumber, gw, gh, s->o.flat_sigma, err);
    if (st != FR_OK)
        return st;
    if ((st = fr_thumb_make(s->thumber, luma, cur, err)) != FR_OK)
        return fr_err_wrap(err, "frame %lld", (long long)index);
    decide(s);
    return FR_OK;
}

fr_status fr_shots_push_thumb(fr_shots *s, const fr_thumb *th, int gw, int gh, int64_t index, fr_err *err)
{
    fr_thumb *cur;
    fr_status st = next_slot(s, gw, gh, index, &cur, err);
    if (st != FR_OK)
        return st;
    fr_thumb_copy(cur, th, gw, gh);
    decide(s);
    return FR_OK;
}

fr_status fr_shots_finish(fr_shots *s, fr_err *err)
{
    (void)err;
    if (s->finished)
        return FR_OK;
    while (s->cut_done < s->n)
        cut_stage(s, s->cut_done++);
    while (s->grad_done < s->n)
        gradual_stage(s, s->grad_done++);
    close_run(s);
    s->flat_start = -1; /* a fade out at the very end opens no shot */
    s->finished = 1;
    return FR_OK;
}

int fr_shots_pop(fr_shots *s, fr_shot_boundary *b)
{
    if (s->qn == 0)
        return 0;
    if (!s->finished && s->q[0].frame + s->o.min_shot >= frontier(s))
        return 0;
    *b = s->q[0];
    memmove(s->q, s->q + 1, (size_t)(s->qn - 1) * sizeof *s->q);
    s->qn--;
    s->last_out = b->frame;
    s->last_kind = b->kind;
    return 1;
}
