/* fr_store_lock.c: the store's advisory lock, STORE.lock beside it (fr_store_lock.h), on
 * the common lock file (fr_lockfile.c). */
#include "fr_store_lock.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

#include "fr_lockfile.h"

struct fr_store_lock {
    fr_lockfile *file;
};

fr_status fr_store_lock_take(fr_store_lock **out, const char *store_path, int owner_pid, fr_err *err)
{
    *out = NULL;
    char name[1100], who[320];
    if ((size_t)snprintf(name, sizeof name, "%s.lock", store_path) >= sizeof name)
        return fr_err_set(err, FR_ERR_ARG, "store path %.80s... is too long", store_path);
    fr_store_lock *l = calloc(1, sizeof *l);
    if (!l)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    int busy = 0;
    fr_status st = fr_lockfile_take(&l->file, AT_FDCWD, name, store_path, owner_pid, &busy, who, sizeof who, err);
    if (st != FR_OK) {
        free(l);
        if (busy)
            return fr_err_set(err, FR_ERR_STORE,
                              "store %s is in use by another run (%s); wait for it to end, or use another --store",
                              store_path, who);
        return st;
    }
    *out = l;
    return FR_OK;
}

void fr_store_lock_free(fr_store_lock *l)
{
    if (!l)
        return;
    fr_lockfile_free(l->file);
    free(l);
}
