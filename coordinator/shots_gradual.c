/* shots_gradual.c: the shot detector's gradual stage, run on frame
 * t = n - flash_frames - kmax: the dissolve test at each span (blend fit and contrast
 * dip), and the runs of passing frames whose middle is the boundary. The rules are
 * described atop shots.c and in docs/shots.md. */
#include "shots_internal.h"

void fr_shots__close_run(fr_shots *s)
{
    if (s->run_start < 0)
        return;
    /* a lone passing frame is noise, and so are two that passed by their dip alone */
    if (s->run_end - s->run_start + 1 >= (s->run_blend ? 2 : FR_DIP_RUN)) {
        /* a short run is less sure: 2 passing frames keep 0.8 of it, 3 keep 0.9 */
        int64_t len = s->run_end - s->run_start + 1;
        float c = s->run_conf * (len >= 4 ? 1.0f : 0.5f + 0.1f * (float)len);
        fr_shots__add(s, (s->run_start + s->run_end + 1) / 2, FR_SHOT_GRADUAL,
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

void fr_shots__gradual_stage(fr_shots *s, int64_t t)
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
            fr_shots__close_run(s);
            s->run_block = 1;
        }
    } else if (!pass && !(s->v2 && s->run_start >= 0 && t - s->run_end <= run_gap(s))) {
        /* detector 2 bridges a short gap of failing frames: a dissolve whose run broke in
         * two gave two boundaries, one of them stray */
        fr_shots__close_run(s);
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
