/* shots.c: the streaming shot-boundary detector (see shots.h, docs/shots.md): its
 * life cycle, the thumbnail ring, the queue of found boundaries and the order in which
 * the stages run. The stages live apart: shots_cut.c (fades and hard cuts) and
 * shots_gradual.c (dissolves); shots_internal.h is what they share.
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
#include "shots_internal.h"

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
    s->scratch = calloc((size_t)4 * (s->gw / 2) * (s->gh / 2), sizeof *s->scratch);
    if (!s->ring || !s->step || !s->cut || !s->scratch)
        return fr_err_set(err, FR_ERR_NOMEM, "shots: out of memory");
    fr_status st;
    for (int i = 0; i < s->cap; i++)
        if ((st = fr_thumb_alloc(&s->ring[i], s->gw, s->gh, err)) != FR_OK)
            return st;
    return fr_thumb_alloc(&s->before, s->gw, s->gh, err);
}

/* Queues a boundary, settling conflicts closer than min_shot. */
void fr_shots__add(fr_shots *s, int64_t frame, fr_shot_kind kind, int length, float score, float conf)
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

void fr_shots__drop_cuts(fr_shots *s, int64_t from, int64_t to)
{
    int k = 0;
    for (int i = 0; i < s->qn; i++)
        if (!(s->q[i].kind == FR_SHOT_CUT && s->q[i].frame >= from && s->q[i].frame <= to))
            s->q[k++] = s->q[i];
    s->qn = k;
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
        fr_shots__cut_stage(s, s->cut_done++);
    while (s->grad_done <= s->n - 1 - s->o.flash_frames - s->kmax)
        fr_shots__gradual_stage(s, s->grad_done++);
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
        fr_shots__cut_stage(s, s->cut_done++);
    while (s->grad_done < s->n)
        fr_shots__gradual_stage(s, s->grad_done++);
    fr_shots__close_run(s);
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
