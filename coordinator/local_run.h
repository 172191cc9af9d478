/* local_run.h: colourising in one process, without MPI or a store.
 *
 * Each decoded frame is rendered at the model's size, colourised and re-muxed
 * at once. `run --ranks 0` and `colorize-image` use it; the generator is
 * opened once and serves every input given to fr_local_run. */
#ifndef FR_LOCAL_RUN_H
#define FR_LOCAL_RUN_H

#include "fr_remux.h"
#include "fr_status.h"

typedef struct fr_local fr_local;

fr_status fr_local_new(fr_local **out, const char *model, int threads, const char *backend,
                       int render_factor, int show_progress, fr_err *err);
fr_status fr_local_run(fr_local *l, const char *input, const char *output, fr_codec codec, fr_err *err);
void fr_local_free(fr_local *l);

#endif
