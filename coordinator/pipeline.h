/* pipeline.h: the coordinator's side of a distributed run (rank 0).
 *
 * Three stages run at once, driven by one loop on the main thread:
 *   colourise  batches from the planner go to whichever node is idle (pull);
 *              their gray and chroma are written to the store, then flagged done;
 *   smooth     a batch whose smoothing window (within its own shot) is all
 *              colourised goes to a node again, with that window as context;
 *   encode     an encode thread re-muxes the source, taking each batch's final
 *              chroma, in frame order, as soon as it is ready.
 * Smoothing jobs go out before colourise jobs, so the encoder keeps up.
 * Every stage skips what the store says is done, so rerunning resumes. */
#ifndef FR_PIPELINE_H
#define FR_PIPELINE_H

#include "fr_status.h"
#include "fr_wire.h"
#include "run_settings.h"

fr_status fr_pipeline_coordinator(fr_wire *w, const fr_run_settings *s, fr_err *err);

/* The store path for a run: --store, or OUTPUT's name with .h5 appended. */
void fr_pipeline_store_path(const fr_run_settings *s, char *buf, size_t len);

#endif
