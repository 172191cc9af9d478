/* fr_provenance.h: the FILMRESTORE_* container tags and the settings line they carry,
 * built from a store's identity.
 *
 * Shared, not the coordinator's alone: the run writes them (coordinator/provenance.c,
 * into the output and the store's /runs) and `verify --store` rebuilds them from the
 * store to check the output's, so both sides use this one builder. */
#ifndef FR_PROVENANCE_TAGS_H
#define FR_PROVENANCE_TAGS_H

#include <stddef.h>

#include "fr_remux.h"
#include "fr_store.h"

/* "render_factor=... segment_frames=... shots=... stages=... engine=... tolerate_damage=..." */
void fr_provenance_settings(const fr_store_identity *id, int tolerate_damage, char *buf, size_t len);
/* FILMRESTORE_VERSION, _SOURCE, _SOURCE_HASH, _MODEL, _MODEL_SHA256 and _SETTINGS. */
fr_status fr_provenance_tags(const fr_store_identity *id, const char *settings, fr_tags *tags, fr_err *err);

#endif
