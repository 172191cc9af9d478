/* schedule.c: readiness of batches for smoothing and encoding (schedule.h). */
#include "schedule.h"

#include <stdlib.h>

enum { GUIDE_NONE, GUIDE_NEEDED, GUIDE_RUNNING, GUIDE_DONE };

typedef struct {
    fr_batch b;
    uint8_t done, smoothed, smoothing; /* smoothing: handed out, result pending */
} row;

struct fr_schedule {
    int radius, smoothing;
    row *rows;
    int64_t n, cap;
    fr_shot *shots;
    uint8_t *guide;       /* per shot: GUIDE_* (reference frames, guide.h) */
    int64_t n_shots, shots_cap, guide_cap;
    int guiding;          /* 1: some shots may need guiding, so an open shot cannot be encoded */
    int64_t frames;       /* -1 until the plan is complete */
    int64_t next_encode;  /* first row not yet given to the encoder */
    int64_t smooth_from;  /* no row before this one still needs smoothing */
    int64_t frames_done, frames_smoothed;
};

fr_status fr_schedule_new(fr_schedule **out, int radius, int smoothing, fr_err *err)
{
    fr_schedule *s = calloc(1, sizeof *s);
    if (!s)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    s->radius = radius;
    s->smoothing = smoothing;
    s->frames = -1;
    *out = s;
    return FR_OK;
}

void fr_schedule_free(fr_schedule *s)
{
    if (!s)
        return;
    free(s->rows);
    free(s->shots);
    free(s->guide);
    free(s);
}

static int grow(void **p, int64_t *cap, int64_t need, size_t elem)
{
    if (need <= *cap)
        return 1;
    int64_t c = *cap ? 2 * *cap : 64;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, (size_t)c * elem);
    if (!q)
        return 0;
    *p = q;
    *cap = c;
    return 1;
}

fr_status fr_schedule_add_shot(fr_schedule *s, const fr_shot *shot, fr_err *err)
{
    if (!grow((void **)&s->shots, &s->shots_cap, s->n_shots + 1, sizeof *s->shots))
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    if (!grow((void **)&s->guide, &s->guide_cap, s->n_shots + 1, 1))
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    s->guide[s->n_shots] = GUIDE_NONE;
    s->shots[s->n_shots++] = *shot;
    return FR_OK;
}

fr_status fr_schedule_add_batch(fr_schedule *s, const fr_batch *b, int done, int smoothed, fr_err *err)
{
    if (!grow((void **)&s->rows, &s->cap, s->n + 1, sizeof *s->rows))
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    s->rows[s->n++] = (row){*b, (uint8_t)!!done, (uint8_t)!!(done && smoothed), 0};
    if (done)
        s->frames_done += b->count;
    if (done && smoothed)
        s->frames_smoothed += b->count;
    return FR_OK;
}

void fr_schedule_end(fr_schedule *s, int64_t frames) { s->frames = frames; }

void fr_schedule_mark_done(fr_schedule *s, int64_t r)
{
    if (!s->rows[r].done)
        s->frames_done += s->rows[r].b.count;
    s->rows[r].done = 1;
}

void fr_schedule_mark_smoothed(fr_schedule *s, int64_t r)
{
    if (!s->rows[r].smoothed)
        s->frames_smoothed += s->rows[r].b.count;
    s->rows[r].smoothed = 1;
    s->rows[r].smoothing = 0;
}

/* The end of a batch's shot, or -1 while the shot is still open. */
static int64_t shot_end(const fr_schedule *s, int32_t shot)
{
    return shot < s->n_shots ? s->shots[shot].end : -1;
}

static int64_t shot_start(const fr_schedule *s, int64_t r)
{
    int32_t shot = s->rows[r].b.shot;
    if (shot < s->n_shots)
        return s->shots[shot].start;
    /* open shot: its first batch is the first row with this shot number */
    while (r > 0 && s->rows[r - 1].b.shot == shot)
        r--;
    return s->rows[r].b.start;
}

/* Whether every frame of row r's window is colourised; fills the window. */
static int window_ready(const fr_schedule *s, int64_t r, int64_t *lo, int64_t *hi)
{
    const fr_batch *b = &s->rows[r].b;
    int64_t start = shot_start(s, r), end = shot_end(s, b->shot);
    *lo = b->start - s->radius > start ? b->start - s->radius : start;
    *hi = b->start + b->count + s->radius;
    if (end >= 0 && *hi > end)
        *hi = end;
    if (!s->rows[r].done)
        return 0;
    for (int64_t j = r - 1; j >= 0 && s->rows[j].b.start + s->rows[j].b.count > *lo; j--)
        if (!s->rows[j].done)
            return 0;
    int64_t covered = b->start + b->count;
    for (int64_t j = r + 1; j < s->n && covered < *hi; j++) {
        if (!s->rows[j].done)
            return 0;
        covered = s->rows[j].b.start + s->rows[j].b.count;
    }
    return covered >= *hi;
}

int fr_schedule_next_smooth(fr_schedule *s, int64_t *r, int64_t *lo, int64_t *hi)
{
    if (!s->smoothing)
        return 0;
    while (s->smooth_from < s->n && s->rows[s->smooth_from].smoothed)
        s->smooth_from++;
    for (int64_t j = s->smooth_from; j < s->n && j < s->smooth_from + 256; j++) {
        if (!s->rows[j].done || s->rows[j].smoothed || s->rows[j].smoothing)
            continue;
        if (window_ready(s, j, lo, hi)) {
            s->rows[j].smoothing = 1;
            *r = j;
            return 1;
        }
    }
    return 0;
}

void fr_schedule_set_guiding(fr_schedule *s) { s->guiding = 1; }

void fr_schedule_guide_shot(fr_schedule *s, int64_t shot, int done)
{
    s->guide[shot] = done ? GUIDE_DONE : GUIDE_NEEDED;
}

/* The first row of a closed shot (its batches were all planned before it closed). */
static int64_t first_row(const fr_schedule *s, int64_t shot)
{
    int64_t lo = 0, hi = s->n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (s->rows[mid].b.shot < shot)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int fr_schedule_next_guide(fr_schedule *s, int64_t *shot)
{
    for (int64_t k = 0; k < s->n_shots; k++) {
        if (s->guide[k] != GUIDE_NEEDED)
            continue;
        int ready = 1;
        for (int64_t r = first_row(s, k); r < s->n && s->rows[r].b.shot == k && ready; r++)
            ready = s->smoothing ? s->rows[r].smoothed : s->rows[r].done;
        if (ready) {
            s->guide[k] = GUIDE_RUNNING;
            *shot = k;
            return 1;
        }
    }
    return 0;
}

void fr_schedule_mark_guided(fr_schedule *s, int64_t shot) { s->guide[shot] = GUIDE_DONE; }

int fr_schedule_guided(const fr_schedule *s, int64_t shot)
{
    return shot < s->n_shots && s->guide[shot] == GUIDE_DONE;
}

const fr_shot *fr_schedule_shot(const fr_schedule *s, int64_t shot) { return &s->shots[shot]; }

int fr_schedule_next_encode(fr_schedule *s, int64_t *r)
{
    if (s->next_encode >= s->n)
        return 0;
    const row *x = &s->rows[s->next_encode];
    if (!(s->smoothing ? x->smoothed : x->done))
        return 0;
    int32_t shot = x->b.shot;
    if (s->guiding && (shot >= s->n_shots || s->guide[shot] == GUIDE_NEEDED || s->guide[shot] == GUIDE_RUNNING))
        return 0;
    *r = s->next_encode;
    return 1;
}

void fr_schedule_encoded(fr_schedule *s, int64_t r)
{
    if (r == s->next_encode)
        s->next_encode++;
}

const fr_batch *fr_schedule_batch(const fr_schedule *s, int64_t r) { return &s->rows[r].b; }
int64_t fr_schedule_batches(const fr_schedule *s) { return s->n; }
int fr_schedule_all_encoded(const fr_schedule *s) { return s->frames >= 0 && s->next_encode >= s->n; }
int64_t fr_schedule_frames_done(const fr_schedule *s) { return s->frames_done; }
int64_t fr_schedule_frames_smoothed(const fr_schedule *s) { return s->frames_smoothed; }
