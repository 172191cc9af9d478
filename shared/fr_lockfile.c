/* fr_lockfile.c: flock on a small file that names its holder (fr_lockfile.h). */
#include "fr_lockfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fr_sys.h"

struct fr_lockfile {
    int dirfd;       /* a dup of the folder's fd, or AT_FDCWD */
    char name[1100]; /* the lock file, relative to dirfd */
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

fr_status fr_lockfile_take(fr_lockfile **out, int dirfd, const char *name, const char *label, int owner_pid,
                           int *busy, char *holder, size_t holder_len, fr_err *err)
{
    *out = NULL;
    *busy = 0;
    fr_lockfile *l = calloc(1, sizeof *l);
    if (!l)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    l->fd = -1;
    l->dirfd = dirfd == AT_FDCWD ? AT_FDCWD : fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
    if (l->dirfd == -1 || (size_t)snprintf(l->name, sizeof l->name, "%s", name) >= sizeof l->name) {
        fr_status st = fr_err_set(err, FR_ERR_ARG, "cannot lock %.200s: %s", label,
                                  l->dirfd == -1 ? strerror(errno) : "path too long");
        fr_lockfile_free(l);
        return st;
    }
    for (int attempt = 0; attempt < 8; attempt++) {
        l->fd = openat(l->dirfd, l->name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (l->fd < 0) {
            int e = errno;
            fr_lockfile_free(l);
            return fr_err_set(err, FR_ERR_IO, "cannot create the lock of %.200s: %s", label, strerror(e));
        }
        if (flock(l->fd, LOCK_EX | LOCK_NB) != 0) {
            int e = errno;
            describe_holder(l->fd, holder, holder_len);
            close(l->fd);
            l->fd = -1;
            fr_lockfile_free(l);
            if (e == EWOULDBLOCK) {
                *busy = 1;
                return FR_ERR_STORE;
            }
            return fr_err_set(err, FR_ERR_IO, "cannot lock %.200s: %s", label, strerror(e));
        }
        struct stat held, named;
        if (fstat(l->fd, &held) == 0 && fstatat(l->dirfd, l->name, &named, AT_SYMLINK_NOFOLLOW) == 0 &&
            held.st_dev == named.st_dev && held.st_ino == named.st_ino)
            break;
        close(l->fd); /* the previous holder removed it meanwhile: try the new file */
        l->fd = -1;
    }
    if (l->fd < 0) {
        fr_lockfile_free(l);
        return fr_err_set(err, FR_ERR_STORE, "cannot lock %.200s: its lock file keeps changing", label);
    }
    char host[256] = "";
    if (gethostname(host, sizeof host - 1) != 0)
        snprintf(host, sizeof host, "unknown");
    char text[320];
    int n = snprintf(text, sizeof text, "%d %s\n", owner_pid, host);
    if (ftruncate(l->fd, 0) != 0 || fr_sys()->pwrite(l->fd, text, (size_t)n, 0) != n) {
        int e = errno;
        fr_lockfile_free(l);
        return fr_err_set(err, FR_ERR_IO, "cannot write the lock of %.200s: %s", label, strerror(e));
    }
    *out = l;
    return FR_OK;
}

void fr_lockfile_free(fr_lockfile *l)
{
    if (!l)
        return;
    if (l->fd >= 0) {
        unlinkat(l->dirfd, l->name, 0);
        close(l->fd);
    }
    if (l->dirfd >= 0)
        close(l->dirfd);
    free(l);
}
