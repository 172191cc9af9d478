/* local_run.h: colourising in one process, without MPI or a store.
 *
 * Each decoded frame is rendered at the model's size, colourised and re-muxed
 * at once. `colorize-image` uses it (`run --ranks 0` runs the pipeline); the generator is
 * opened once and serves every input given to fr_local_run. */
#ifndef FR_LOCAL_RUN_H
#define FR_LOCAL_RUN_H

#include "fr_remux.h"
#include "fr_status.h"
#include "fr_store.h"

typedef struct fr_local fr_local;

fr_status fr_local_new(fr_local **out, const char *model, int threads, const char *backend,
                       int render_factor, int show_progress, fr_err *err);
/* tags (may be NULL) go into the output's container. */
fr_status fr_local_run(fr_local *l, const char *input, const char *output, fr_codec codec, const fr_tags *tags,
                       fr_err *err);
void fr_local_free(fr_local *l);

#endif
