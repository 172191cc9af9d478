/* fr_store_lock.c: the store's advisory lock (fr_store_lock.h).
 *
 * Taking: open (or create) STORE.lock without following links, flock it exclusively
 * without waiting, then check that the path still names the locked inode: a holder
 * that released and removed the file in between would otherwise leave two runs each
 * holding a lock on a different inode. The pid and host are then written into it.
 * Releasing removes the file first, then drops the lock, for the same reason. */
#include "fr_store_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fr_sys.h"

struct fr_store_lock {
    char path[1100]; /* STORE.lock */
    int fd;          /* holds the flock */
};

/* "pid N on host H", or "an unknown pid" when the holder has not written yet. */
static void describe_holder(int fd, char *buf, size_t len)
{
    char text[300] = "";
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    text[n > 0 ? n : 0] = 0;
    long pid = 0;
    char host[256] = "";
    if (sscanf(text, "%ld %255s", &pid, host) >= 1 && pid > 0)
        snprintf(buf, len, "pid %ld on %s", pid, host[0] ? host : "an unknown host");
    else
        snprintf(buf, len, "an unknown pid");
}

fr_status fr_store_lock_take(fr_store_lock **out, const char *store_path, int owner_pid, fr_err *err)
{
    *out = NULL;
    fr_store_lock *l = calloc(1, sizeof *l);
    if (!l)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    if ((size_t)snprintf(l->path, sizeof l->path, "%s.lock", store_path) >= sizeof l->path) {
        free(l);
        return fr_err_set(err, FR_ERR_ARG, "store path %.80s... is too long", store_path);
    }
    for (int attempt = 0; attempt < 8; attempt++) {
        l->fd = open(l->path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (l->fd < 0) {
            int e = errno;
            free(l);
            return fr_err_set(err, FR_ERR_IO, "cannot create the store lock %s: %s", store_path, strerror(e));
        }
        if (flock(l->fd, LOCK_EX | LOCK_NB) != 0) {
            int e = errno;
            char who[320];
            describe_holder(l->fd, who, sizeof who);
            close(l->fd);
            free(l);
            if (e == EWOULDBLOCK)
                return fr_err_set(err, FR_ERR_STORE, "store %s is in use by another run (%s); wait for it to end, or use another --store",
                                  store_path, who);
            return fr_err_set(err, FR_ERR_IO, "cannot lock the store %s: %s", store_path, strerror(e));
        }
        struct stat held, named;
        if (fstat(l->fd, &held) == 0 && stat(l->path, &named) == 0 && held.st_dev == named.st_dev &&
            held.st_ino == named.st_ino)
            break;
        close(l->fd); /* the previous holder removed it meanwhile: try the new file */
        l->fd = -1;
    }
    if (l->fd < 0) {
        free(l);
        return fr_err_set(err, FR_ERR_STORE, "cannot lock the store %s: its lock file keeps changing", store_path);
    }
    char host[256] = "";
    if (gethostname(host, sizeof host - 1) != 0)
        snprintf(host, sizeof host, "unknown");
    char text[320];
    int n = snprintf(text, sizeof text, "%d %s\n", owner_pid, host);
    if (ftruncate(l->fd, 0) != 0 || fr_sys()->pwrite(l->fd, text, (size_t)n, 0) != n) {
        int e = errno;
        fr_store_lock_free(l);
        return fr_err_set(err, FR_ERR_IO, "cannot write the store lock %s.lock: %s", store_path, strerror(e));
    }
    *out = l;
    return FR_OK;
}

void fr_store_lock_free(fr_store_lock *l)
{
    if (!l)
        return;
    if (l->fd >= 0) {
        unlink(l->path);
        close(l->fd);
    }
    free(l);
}
