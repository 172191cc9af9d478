/* fr_verify_streams.h: what `verify --store` checks of an output's container, beside its
 * frames (fr_verify_store.c): its video parameters, its copied streams and its provenance
 * tags, each against the source and the store.
 *
 * - Video parameters: sample aspect ratio, colour tags (range, matrix, primaries,
 *   transfer) and field order must be those fr_remux gives an output of this source
 *   (fr_remux_video_params_of).
 * - Copied streams: the output holds, after its video, exactly the streams fr_remux copies
 *   (fr_remux_copies), in the source's order, each of the same type and codec, with the same
 *   packets: an MD5 of every packet's size and bytes, per stream, must match the source's.
 * - Provenance: every FILMRESTORE_* tag that a run writes (shared/fr_provenance.h) must be
 *   there, with the value rebuilt from the store's identity; FILMRESTORE_SETTINGS must be
 *   the settings line of one of the store's /runs; no other FILMRESTORE_* tag may appear.
 *   Pictures (PNG, TIFF) carry no container tags and are not asked for them.
 * Without a store, `verify` checks the tags' presence alone (fr_verify_tags_present). */
#ifndef FR_VERIFY_STREAMS_H
#define FR_VERIFY_STREAMS_H

#include <libavutil/rational.h>

#include "fr_status.h"
#include "fr_store.h"

/* *src_tb gets the source video's time base (the store's /timestamps are in it). */
fr_status fr_verify_container(const char *source, const char *output, const char *store_path, const fr_store *store,
                              AVRational *src_tb, fr_err *err);

/* Without the store, only what the output holds alone: every FILMRESTORE_* tag a run
 * writes is there and not empty, and no other is (*pictures: 1 for PNG and TIFF outputs,
 * which carry none, and are not asked for them). */
fr_status fr_verify_tags_present(const char *output, int *pictures, fr_err *err);

#endif
