/* shots_cut.c: the shot detector's cut stage, run on frame t = n - flash_frames:
 * blank runs (fades through black or white, black leader) and hard cuts, with the
 * tests that keep flashes, flicker and dim frames from firing a cut. The rules are
 * described atop shots.c and in docs/shots.md. */
#include "shots_internal.h"

void fr_shots__cut_stage(fr_shots *s, int64_t t)
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
            fr_shots__drop_cuts(s, s->flat_start - s->o.gradual_span, t);
            fr_shots__add(s, s->flat_start + max_run(s) / 2, FR_SHOT_GRADUAL, max_run(s), 1.0f, FR_LEADER_CONF);
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
                fr_shots__drop_cuts(s, s->flat_start - s->o.gradual_span, t + s->o.gradual_span);
                fr_shots__add(s, (s->flat_start + t) / 2, FR_SHOT_GRADUAL, (int)(t - s->flat_start), d,
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
    /* detector 2: a smaller change that stands out from its neighbours is a cut when the
     * windows of frames across it differ far more than those beside it (shots_window.c):
     * averaged over frames, damage's noise drops out and a cut between alike pictures
     * does not */
    float wr = 0;
    const int win = s->v2 && !spike && st < s->o.cut_threshold && st >= FR_WIN_SHARE * s->o.cut_threshold &&
                    st >= FR_WIN_STEP * loud && fr_shots__window_cut(s, t, &wr);
    if (st < s->o.cut_threshold && !spike && !win)
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
    /* detector 2: a flash of several frames that straddles t (t-1 and t both lit, one
     * more than the other) comes back only once it is over: the picture before it and
     * the one after it, both outside it, are alike */
    for (int j = 1; s->v2 && j < F; j++)
        for (int i = 1; i + j <= F; i++) {
            float d;
            if (t + i <= newest && t - 1 - j >= 0 && !blank(s, at(s, t + i)) && !blank(s, at(s, t - 1 - j)) &&
                (d = dist(s, at(s, t - 1 - j), at(s, t + i))) < ret && (ret = d) < back)
                return;
        }
    s->cut[t % s->cap] = 1;
    float c = win ? conf_of(wr) : conf_of(st / s->o.cut_threshold), c2 = calm > 0 ? conf_of(st / (s->o.cut_ratio * calm)) : 1.0f,
          c3 = back > 0 ? conf_of(ret / back) : 1.0f;
    c = c < c2 ? c : c2;
    fr_shots__add(s, t, FR_SHOT_CUT, 0, st, c < c3 ? c : c3);
}
