/* fr_store_lock.h: one run per store, enforced with an advisory lock.
 *
 * The lock is flock(2) on a small file beside the store, STORE.lock, which holds the owner's
 * pid and host. HDF5's own file lock cannot serve: it is dropped once SWMR writing starts,
 * so that readers may open the file. flock is released by the kernel when its holder dies,
 * so a killed run never leaves a stale lock; the file itself is removed on release.
 * Ownership: the caller owns the handle; fr_store_lock_free(NULL) is safe. */
#ifndef FR_STORE_LOCK_H
#define FR_STORE_LOCK_H

#include "fr_status.h"

typedef struct fr_store_lock fr_store_lock;

/* Takes the lock for store_path, recording owner_pid. A store in use by another run fails
 * with FR_ERR_STORE and a message naming that run's pid and host. */
fr_status fr_store_lock_take(fr_store_lock **out, const char *store_path, int owner_pid, fr_err *err);
/* Releases the lock and removes the lock file. */
void fr_store_lock_free(fr_store_lock *l);

#endif
