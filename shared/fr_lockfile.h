/* fr_lockfile.h: an advisory lock held on a small file, for one writer at a time.
 *
 * flock(2) on NAME (opened relative to a folder's fd, without following a link), which holds
 * the owner's pid and host. The kernel releases it when its holder dies, so a killed run
 * never leaves a stale lock; release removes the file first, then drops the lock. After
 * taking it, the name is checked to still be the locked inode: a holder that released and
 * removed the file in between would otherwise leave two writers each locking another inode.
 * The store's lock (fr_store_lock.c) and the output's (fr_output_lock.c) are built on it. */
#ifndef FR_LOCKFILE_H
#define FR_LOCKFILE_H

#include "fr_status.h"

typedef struct fr_lockfile fr_lockfile;

/* Takes the lock. dirfd: the folder (AT_FDCWD for the current one); label names the thing
 * locked in errors. When another process holds it: FR_ERR_STORE, *busy = 1 and holder
 * says who ("pid N on HOST"); err is then left for the caller to word. */
fr_status fr_lockfile_take(fr_lockfile **out, int dirfd, const char *name, const char *label, int owner_pid,
                           int *busy, char *holder, size_t holder_len, fr_err *err);
/* Releases the lock and removes its file; NULL is fine. */
void fr_lockfile_free(fr_lockfile *l);

#endif
