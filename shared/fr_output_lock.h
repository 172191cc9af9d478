/* fr_output_lock.h: one run per output, and no file replaced that filmrestore did not write.
 *
 * The lock is a lock file (fr_lockfile.h) named .NAME.filmrestore-lock inside the output's
 * folder, opened through that folder's fd: every path that reaches the folder (a symbolic
 * link, a bind mount, ./ or ../) reaches the same inode of the same lock file, so the lock
 * holds by the folder's device and inode and the output's name, not by how the path was
 * spelled. A run takes it before anything is written and keeps it until the output and its
 * .framemd5 sidecar are both in place, so the two always come from the same run.
 *
 * An existing output is replaced only when filmrestore wrote it (its user.filmrestore
 * extended attribute, set by fr_output_lock_mark once a run has written it; a
 * FILMRESTORE_VERSION tag; or its OUTPUT.framemd5 sidecar beside it) or when overwrite (-y)
 * is given; anything else
 * (another film, a source) is refused, and so is an output that is not a regular file. */
#ifndef FR_OUTPUT_LOCK_H
#define FR_OUTPUT_LOCK_H

#include "fr_status.h"

typedef struct fr_output_lock fr_output_lock;

/* Takes the output's lock for owner_pid and checks what the name holds now. */
fr_status fr_output_lock_take(fr_output_lock **out, const char *output, int owner_pid, int overwrite, fr_err *err);
/* Marks the written output as filmrestore's (the user.filmrestore extended attribute holds
 * version); a file system without user attributes is left unmarked, silently. */
void fr_output_lock_mark(fr_output_lock *l, const char *version);
/* Releases the lock; NULL is fine. */
void fr_output_lock_free(fr_output_lock *l);

#endif
