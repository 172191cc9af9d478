/* restore_film.h: a whole film's restored luma, as the run that made a store restored it.
 *
 * `filmrestore verify` rebuilds each output frame from the source and the store; when the
 * run restored the film (--restore), the luma it encoded is the restoration rows' output,
 * not the source's. This replays those rows over the store's plan, segment by segment
 * with the same context, and hands out each frame's luma in order (fr_remux's luma hook). */
#ifndef FR_RESTORE_FILM_H
#define FR_RESTORE_FILM_H

#include "fr_plane.h"
#include "fr_status.h"
#include "fr_video_in.h"

struct fr_store;
typedef struct fr_restore_film fr_restore_film;

/* *out stays NULL (FR_OK) when the store's run did not restore its luma. */
fr_status fr_restore_film_open(fr_restore_film **out, const struct fr_store *store, int threads, fr_err *err);
/* The luma the run encoded for frame f (frames asked for in order); ctx is the handle. */
fr_status fr_restore_film_luma(void *ctx, const fr_frame *f, fr_plane *out, fr_err *err);
void fr_restore_film_free(fr_restore_film *f);

#endif
