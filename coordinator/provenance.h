/* provenance.h: what a run records about itself.
 *
 * The identity (source, model, settings, version) that decides whether a store
 * belongs to a run; the one-line canonical settings; and the FILMRESTORE_* container
 * tags built from them (shared/fr_provenance.h, which verify shares). Every path that
 * writes an output (the distributed pipeline and `run --ranks 0`) goes through here, so outputs of the same film and settings carry
 * the same tags, byte for byte. Hosts and times are not in the tags, only in the
 * store's /runs: the output must not depend on where or when it ran. */
#ifndef FR_PROVENANCE_H
#define FR_PROVENANCE_H

#include <stdint.h>

#include "fr_provenance.h" /* the settings line and the tags */
#include "fr_remux.h"
#include "fr_store.h"
#include "run_settings.h"

/* The source and settings fields of the run's identity (the nodes add the model's);
 * *total_guess gets the container's frame count estimate for progress (may be NULL).
 * Having the source open, it also refuses a source whose streams the output cannot keep
 * (fr_remux_check_source: a second video stream, an attachment for MP4) and logs the
 * colour matrix assumed for an untagged film (fr_colour_matrix.h). */
fr_status fr_provenance_identity(const fr_run_settings *s, const char *stage_canon, fr_store_identity *id,
                                 int64_t *total_guess, fr_err *err);

#endif
