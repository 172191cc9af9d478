/* fr_store_refs.h: the store's record of shots guided by reference frames (docs/store.md).
 *
 * Group /references in the store file:
 *   chroma_guided [frames, s, s, 2] uint8: the guided chroma; written only for guided shots
 *   shot_hash     [shots, 32] uint8: per shot, the sha256 of what guided it (the method's
 *                 settings, each reference's frame and chroma at render size); zero: not guided
 * A shot's hash is written only after its chroma is flushed, so a hash on disk that matches
 * the run's means the shot is done; a shot whose references changed is simply run again.
 * The hashes always say which shots the latest run guided (a run that does not guide a shot
 * clears its hash), so `verify --store` knows which chroma each frame of the output has.
 * Created with every store (fr_store.c, format version 2); a store without the group is damaged. */
#ifndef FR_STORE_REFS_H
#define FR_STORE_REFS_H

#include <stdint.h>

#include "fr_status.h"
#include "fr_store.h"

/* Creates the group in a new store file (an hid_t, before SWMR starts); < 0 on failure. */
int fr_store_refs_create(int64_t file, int size);

typedef struct fr_store_refs fr_store_refs;

fr_status fr_store_refs_open(fr_store_refs **out, fr_store *s, fr_err *err);
void fr_store_refs_free(fr_store_refs *r);

/* The hash that guided shot i (all zero when none has). */
fr_status fr_store_refs_hash(fr_store_refs *r, int64_t shot, uint8_t hash[32], fr_err *err);
/* Writes a guided shot's chroma (frames first..first+n-1), flushes, then records its hash. */
fr_status fr_store_refs_write(fr_store_refs *r, int64_t shot, int64_t first, int n,
                              const uint8_t *chroma, const uint8_t hash[32], fr_err *err);
/* Marks shot i as not guided (a zero hash), where the store says it was. */
fr_status fr_store_refs_unguide(fr_store_refs *r, int64_t shot, fr_err *err);
/* 1 when the store says shot i was guided, 0 when not, -1 when it cannot be read. */
int fr_store_refs_guided(fr_store_refs *r, int64_t shot);
fr_status fr_store_refs_read(fr_store_refs *r, int64_t first, int n, uint8_t *chroma, fr_err *err);

#endif
