/* fr_sys.h: the system calls through which the store and the encoder make data durable.
 *
 * After SQLite's os_unix.c: the calls that write, sync and rename output go through one
 * table of function pointers, so that a test can replace any of them and inject ENOSPC,
 * EIO or a short write at the Nth call, then check that nothing is lost or corrupted and
 * that the error names its cause. Production code only reads the table; tests override
 * it with fr_sys_override and restore it with fr_sys_override(NULL). Not thread-safe to
 * override while another thread writes: tests override before they start work.
 *
 * What goes through it: the encoder's output file (libavformat writes via our AVIO
 * callbacks), its fsync and its rename into place; every write HDF5 makes to the store
 * (its file driver is shared/fr_h5vfd.c), the store's fsync after every flush, the rename
 * that publishes a new store, and the store lock's writes. */
#ifndef FR_SYS_H
#define FR_SYS_H

#include <stddef.h>
#include <sys/types.h>

typedef struct {
    int (*open)(const char *path, int flags, mode_t mode);
    ssize_t (*write)(int fd, const void *buf, size_t n);
    ssize_t (*pwrite)(int fd, const void *buf, size_t n, off_t at);
    off_t (*lseek)(int fd, off_t at, int whence);
    int (*fsync)(int fd);
    int (*close)(int fd);
    int (*rename)(const char *from, const char *to);
} fr_sys_table;

/* The table in use (the real calls unless a test overrode it). */
const fr_sys_table *fr_sys(void);
/* Replaces the table (t is copied); NULL restores the real calls. */
void fr_sys_override(const fr_sys_table *t);
/* The real calls, for an override to delegate to. */
const fr_sys_table *fr_sys_default(void);

/* Writes all n bytes, retrying short writes and EINTR; 0, or -1 with errno set. */
int fr_sys_write_all(int fd, const void *buf, size_t n);

/* A small file made whole or not at all: the n pieces written one after the other to
 * "PATH.partial-PID", fsynced, then renamed to path; the temporary is removed on failure.
 * 0, or -1 with errno set. The .framemd5 sidecar and the part files are written so. */
typedef struct {
    const void *data;
    size_t len;
} fr_sys_piece;
int fr_sys_write_file(const char *path, const fr_sys_piece *pieces, int n);

#endif
