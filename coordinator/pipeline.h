/* pipeline.h: the coordinator's side of a distributed run (rank 0).
 *
 *   1. colourise: batches from the planner go to whichever node asks (pull);
 *      their chroma is written to the store and the batch marked done;
 *   2. smooth: each batch's frames, with context from its own shot only, go
 *      to the nodes again and come back smoothed (skipped with --smoothing off);
 *   3. encode: the source is re-muxed with the stored chroma (fr_remux).
 * Every step skips what the store says is done, so rerunning resumes. */
#ifndef FR_PIPELINE_H
#define FR_PIPELINE_H

#include "fr_status.h"
#include "fr_wire.h"
#include "run_settings.h"

fr_status fr_pipeline_coordinator(fr_wire *w, const fr_run_settings *s, fr_err *err);

/* The store path for a run: --store, or OUTPUT's name with .h5 appended. */
void fr_pipeline_store_path(const fr_run_settings *s, char *buf, size_t len);

#endif
