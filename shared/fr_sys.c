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
