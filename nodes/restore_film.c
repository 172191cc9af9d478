/* restore_film.c: a whole film's restored luma, rebuilt segment by segment as its run made
 * it (restore_film.h), for verify.
 *
 * The source is read once, in order. For each segment row of the store's plan, the frames
 * of its window (the luma rows' context, clipped to its shot, as the coordinator sent them)
 * are kept in a cache of 16-bit planes; the store's luma rows run on a copy, and the
 * segment's own frames are handed out. By the filters' locality (restore.h), these are the
 * bytes the nodes encoded, whatever window their job had. */
#include "restore_film.h"

#include <stdlib.h>
#include <string.h>

#include "fr_store.h"
#include "fr_video_in.h"
#include "stage.h"

struct fr_restore_film {
    const fr_store *store;
    char keep[512];               /* the settings' text */
    fr_stage_settings settings;
    fr_node_config cfg;
    fr_video_in *in;
    const fr_video_info *info;
    const fr_stage *row[FR_STAGE_MAX];
    void *ctx[FR_STAGE_MAX];
    int rows, radius;
    size_t px;
    /* the source's frames [cache_first, cache_first + cached), a ring of cap planes */
    uint16_t *cache;
    int64_t cache_first;
    int cached, cap, ended;
    /* the current segment: its window [lo, lo + n), restored, and its own frames [a, b) */
    uint16_t *win, **luma, **spare;
    int64_t lo, a, b, next_row;
    int n;
    fr_plane narrow;
};

static uint16_t *cached_plane(fr_restore_film *f, int64_t index)
{
    return f->cache + f->px * (size_t)(index % f->cap);
}

void fr_restore_film_free(fr_restore_film *f)
{
    if (!f)
        return;
    for (int i = 0; i < f->rows; i++)
        f->row[i]->close(f->ctx[i]);
    fr_video_in_free(f->in);
    fr_plane_release(&f->narrow);
    free(f->cache);
    free(f->win);
    free(f->luma);
    free(f->spare);
    free(f);
}

fr_status fr_restore_film_open(fr_restore_film **out, const fr_store *store, int threads, fr_err *err)
{
    *out = NULL;
    fr_restore_film *f = calloc(1, sizeof *f);
    if (!f)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    const fr_store_identity *id = fr_store_identity_of(store);
    f->store = store;
    f->cfg.threads = threads;
    fr_status st = fr_stage_settings_from_canonical(&f->settings, id->stage_settings, f->keep, sizeof f->keep, err);
    if (st != FR_OK || !f->settings.restore) { /* a run that kept the source's luma */
        fr_restore_film_free(f);
        return st;
    }
    if ((st = fr_video_in_open(&f->in, id->source_path, err)) != FR_OK) {
        fr_restore_film_free(f);
        return st;
    }
    f->info = fr_video_in_info(f->in);
    f->px = (size_t)f->info->width * f->info->height;
    f->radius = fr_stage_context(&f->settings, 0);
    int most = 0;
    for (int64_t i = 0, n = fr_store_batch_count(store); st == FR_OK && i < n; i++) {
        fr_batch b;
        if ((st = fr_store_batch(store, i, &b, NULL, NULL, err)) == FR_OK && b.count > most)
            most = b.count;
    }
    f->cap = most + 2 * f->radius + 1;
    fr_stage_env env = {.cfg = &f->cfg, .settings = &f->settings, .info = f->info};
    if (st == FR_OK && (!(f->cache = malloc(f->px * 2 * (size_t)f->cap)) || !(f->win = malloc(f->px * 4 * (size_t)f->cap)) ||
                        !(f->luma = malloc(sizeof *f->luma * (size_t)f->cap)) ||
                        !(f->spare = malloc(sizeof *f->spare * (size_t)f->cap))))
        st = fr_err_set(err, FR_ERR_NOMEM, "out of memory for %d frames of %dx%d", f->cap, f->info->width, f->info->height);
    if (st == FR_OK && f->info->bits <= 8)
        st = fr_plane_alloc(&f->narrow, f->info->width, f->info->height, 8, err);
    for (size_t i = 0; st == FR_OK && i < fr_stage_count; i++) {
        const fr_stage *row = fr_stages[i];
        if (!(row->flags & FR_STAGE_NEEDS_LUMA) || !row->enabled(&f->settings))
            continue;
        if ((st = row->open(&f->ctx[f->rows], row, &env, err)) == FR_OK)
            f->row[f->rows++] = row;
    }
    if (st != FR_OK) {
        fr_restore_film_free(f);
        return st;
    }
    f->a = f->b = 0;
    *out = f;
    return FR_OK;
}

/* Reads the source up to frame `until` (exclusive), keeping the last cap frames. */
static fr_status read_until(fr_restore_film *f, int64_t until, fr_err *err)
{
    while (f->cache_first + f->cached < until) {
        if (f->ended)
            return fr_err_set(err, FR_ERR_MISMATCH, "the source ends before frame %lld of the store's plan", (long long)until - 1);
        fr_frame fr;
        fr_status st = fr_video_in_read(f->in, &fr, err);
        if (st == FR_EOF) {
            f->ended = 1;
            continue;
        }
        if (st != FR_OK)
            return st;
        if (f->cached == f->cap) {
            f->cache_first++;
            f->cached--;
        }
        fr_luma_widen(&fr.luma, cached_plane(f, fr.index));
        f->cached++;
    }
    return FR_OK;
}

/* Restores the segment row that holds frame i. */
static fr_status load_segment(fr_restore_film *f, int64_t i, fr_err *err)
{
    fr_batch b = {0};
    fr_shot sh;
    fr_status st = FR_OK;
    do {
        if (f->next_row >= fr_store_batch_count(f->store))
            return fr_err_set(err, FR_ERR_MISMATCH, "store: frame %lld lies in no segment", (long long)i);
        st = fr_store_batch(f->store, f->next_row++, &b, NULL, NULL, err);
    } while (st == FR_OK && b.start + b.count <= i);
    if (st != FR_OK || (st = fr_store_shot(f->store, b.shot, &sh, err)) != FR_OK)
        return st;
    int64_t lo = b.start - f->radius > sh.start ? b.start - f->radius : sh.start;
    int64_t hi = b.start + b.count + f->radius < sh.end ? b.start + b.count + f->radius : sh.end;
    if ((st = read_until(f, hi, err)) != FR_OK)
        return st;
    if (lo < f->cache_first)
        return fr_err_set(err, FR_ERR_INTERNAL, "restore: frame %lld left the cache", (long long)lo);
    f->n = (int)(hi - lo);
    for (int k = 0; k < f->n; k++) {
        f->luma[k] = f->win + f->px * (size_t)k;
        f->spare[k] = f->win + f->px * (size_t)(f->cap + k);
        memcpy(f->luma[k], cached_plane(f, lo + k), f->px * 2);
    }
    fr_stage_frames w = {.n = f->n};
    w.luma = (fr_luma_window){.width = f->info->width, .height = f->info->height, .bits = f->info->bits,
                              .full_range = f->info->full_range, .n = f->n, .first_index = lo, .frame = f->luma};
    w.spare = w.luma;
    w.spare.frame = f->spare;
    for (int r = 0; r < f->rows && st == FR_OK; r++)
        st = f->row[r]->run(f->ctx[r], &w, err);
    f->luma = w.luma.frame; /* the rows swap the two sets */
    f->spare = w.spare.frame;
    f->lo = lo;
    f->a = b.start;
    f->b = b.start + b.count;
    return st;
}

fr_status fr_restore_film_luma(void *ctx, const fr_frame *fr, fr_plane *out, fr_err *err)
{
    fr_restore_film *f = ctx;
    fr_status st = FR_OK;
    if (fr->index < f->a || fr->index >= f->b)
        st = load_segment(f, fr->index, err);
    if (st != FR_OK)
        return st;
    fr_luma_window w = {.width = f->info->width, .height = f->info->height, .bits = f->info->bits, .n = f->n,
                        .frame = f->luma};
    fr_luma_view(&w, (int)(fr->index - f->lo), &f->narrow, out);
    return FR_OK;
}
