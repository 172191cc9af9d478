/* fr_sys.c: the overridable system-call table (fr_sys.h). */
#include "fr_sys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static int sys_open(const char *path, int flags, mode_t mode) { return open(path, flags, mode); }

static const fr_sys_table real = {sys_open, write, pwrite, lseek, fsync, close, rename};
static fr_sys_table current = {sys_open, write, pwrite, lseek, fsync, close, rename};

const fr_sys_table *fr_sys(void) { return &current; }
const fr_sys_table *fr_sys_default(void) { return &real; }

void fr_sys_override(const fr_sys_table *t) { current = t ? *t : real; }

int fr_sys_write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t k = current.write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -1;
        if (k == 0) { /* no progress and no error: treat as a full device */
            errno = ENOSPC;
            return -1;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

int fr_sys_write_file(const char *path, const fr_sys_piece *pieces, int n)
{
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.partial-%d", path, (int)getpid()) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = current.open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    int ok = fd >= 0;
    for (int i = 0; ok && i < n; i++)
        ok = fr_sys_write_all(fd, pieces[i].data, pieces[i].len) == 0;
    ok = ok && current.fsync(fd) == 0;
    int e = errno;
    if (fd >= 0 && current.close(fd) != 0 && ok) {
        ok = 0;
        e = errno;
    }
    if (ok && current.rename(tmp, path) != 0) {
        ok = 0;
        e = errno;
    }
    if (!ok) {
        unlink(tmp);
        errno = e;
        return -1;
    }
    return 0;
}
