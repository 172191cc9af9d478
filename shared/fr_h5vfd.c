/* fr_h5vfd.c: the store's HDF5 file driver over the fr_sys table (fr_h5vfd.h).
 *
 * A driver is a table of callbacks (H5FD_class_t) and a file struct that starts with
 * HDF5's public H5FD_t. Writes and syncs go through fr_sys(); reads through pread,
 * since faults are injected only where data is made durable. */
#include "fr_h5vfd.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fr_sys.h"

typedef struct {
    H5FD_t pub;      /* must come first */
    int fd;
    haddr_t eoa;     /* end of the space HDF5 allocated */
    haddr_t eof;     /* end of the file on disk */
    dev_t dev;
    ino_t ino;
} vfd_file;

#define MAXADDR (((haddr_t)1 << (8 * sizeof(off_t) - 1)) - 1)

static H5FD_t *vfd_open(const char *name, unsigned flags, hid_t fapl, haddr_t maxaddr)
{
    (void)fapl;
    if (!name || !*name || maxaddr == 0 || maxaddr == HADDR_UNDEF || maxaddr > MAXADDR)
        return NULL;
    int o = (flags & H5F_ACC_RDWR) ? O_RDWR : O_RDONLY;
    if (flags & H5F_ACC_TRUNC)
        o |= O_TRUNC;
    if (flags & H5F_ACC_CREAT)
        o |= O_CREAT;
    if (flags & H5F_ACC_EXCL)
        o |= O_EXCL;
    int fd = fr_sys()->open(name, o | O_CLOEXEC, 0666);
    if (fd < 0)
        return NULL;
    struct stat sb;
    vfd_file *f = fstat(fd, &sb) == 0 ? calloc(1, sizeof *f) : NULL;
    if (!f) {
        int e = errno;
        fr_sys()->close(fd);
        errno = e;
        return NULL;
    }
    f->fd = fd;
    f->eof = (haddr_t)sb.st_size;
    f->dev = sb.st_dev;
    f->ino = sb.st_ino;
    return &f->pub;
}

static herr_t vfd_close(H5FD_t *file)
{
    vfd_file *f = (vfd_file *)file;
    int rc = fr_sys()->close(f->fd);
    free(f);
    return rc < 0 ? -1 : 0;
}

static int vfd_cmp(const H5FD_t *a, const H5FD_t *b)
{
    const vfd_file *x = (const vfd_file *)a, *y = (const vfd_file *)b;
    if (x->dev != y->dev)
        return x->dev < y->dev ? -1 : 1;
    if (x->ino != y->ino)
        return x->ino < y->ino ? -1 : 1;
    return 0;
}

static herr_t vfd_query(const H5FD_t *file, unsigned long *flags)
{
    (void)file;
    *flags = H5FD_FEAT_AGGREGATE_METADATA | H5FD_FEAT_ACCUMULATE_METADATA | H5FD_FEAT_DATA_SIEVE |
             H5FD_FEAT_AGGREGATE_SMALLDATA | H5FD_FEAT_POSIX_COMPAT_HANDLE | H5FD_FEAT_SUPPORTS_SWMR_IO |
             H5FD_FEAT_DEFAULT_VFD_COMPATIBLE;
    return 0;
}

static haddr_t vfd_get_eoa(const H5FD_t *file, H5FD_mem_t type)
{
    (void)type;
    return ((const vfd_file *)file)->eoa;
}

static herr_t vfd_set_eoa(H5FD_t *file, H5FD_mem_t type, haddr_t addr)
{
    (void)type;
    ((vfd_file *)file)->eoa = addr;
    return 0;
}

static haddr_t vfd_get_eof(const H5FD_t *file, H5FD_mem_t type)
{
    (void)type;
    return ((const vfd_file *)file)->eof;
}

static herr_t vfd_get_handle(H5FD_t *file, hid_t fapl, void **handle)
{
    (void)fapl;
    *handle = &((vfd_file *)file)->fd;
    return 0;
}

static int in_range(haddr_t addr, size_t size) { return addr <= MAXADDR && size <= MAXADDR - addr; }

static herr_t vfd_read(H5FD_t *file, H5FD_mem_t type, hid_t dxpl, haddr_t addr, size_t size, void *buf)
{
    (void)type, (void)dxpl;
    vfd_file *f = (vfd_file *)file;
    if (!in_range(addr, size))
        return -1;
    uint8_t *p = buf;
    while (size > 0) {
        ssize_t k = pread(f->fd, p, size, (off_t)addr);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -1;
        if (k == 0) { /* past the end of the file: zeros, as sec2 gives */
            memset(p, 0, size);
            break;
        }
        p += k;
        addr += (haddr_t)k;
        size -= (size_t)k;
    }
    return 0;
}

static herr_t vfd_write(H5FD_t *file, H5FD_mem_t type, hid_t dxpl, haddr_t addr, size_t size, const void *buf)
{
    (void)type, (void)dxpl;
    vfd_file *f = (vfd_file *)file;
    if (!in_range(addr, size))
        return -1;
    const uint8_t *p = buf;
    while (size > 0) {
        ssize_t k = fr_sys()->pwrite(f->fd, p, size, (off_t)addr);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -1;
        if (k == 0) { /* no progress and no error: a full device */
            errno = ENOSPC;
            return -1;
        }
        p += k;
        addr += (haddr_t)k;
        size -= (size_t)k;
    }
    if (addr > f->eof)
        f->eof = addr;
    return 0;
}

static herr_t vfd_truncate(H5FD_t *file, hid_t dxpl, hbool_t closing)
{
    (void)dxpl, (void)closing;
    vfd_file *f = (vfd_file *)file;
    if (f->eoa == f->eof)
        return 0;
    if (ftruncate(f->fd, (off_t)f->eoa) != 0)
        return -1;
    f->eof = f->eoa;
    return 0;
}

static herr_t vfd_lock(H5FD_t *file, hbool_t rw)
{
    vfd_file *f = (vfd_file *)file;
    if (flock(f->fd, (rw ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0 || errno == ENOSYS)
        return 0;
    return -1;
}

static herr_t vfd_unlock(H5FD_t *file)
{
    vfd_file *f = (vfd_file *)file;
    return flock(f->fd, LOCK_UN) == 0 || errno == ENOSYS ? 0 : -1;
}

static const H5FD_class_t vfd_class = {
    .name = "filmrestore_sys",
    .maxaddr = MAXADDR,
    .fc_degree = H5F_CLOSE_WEAK,
    .open = vfd_open,
    .close = vfd_close,
    .cmp = vfd_cmp,
    .query = vfd_query,
    .get_eoa = vfd_get_eoa,
    .set_eoa = vfd_set_eoa,
    .get_eof = vfd_get_eof,
    .get_handle = vfd_get_handle,
    .read = vfd_read,
    .write = vfd_write,
    .truncate = vfd_truncate,
    .lock = vfd_lock,
    .unlock = vfd_unlock,
    .fl_map = H5FD_FLMAP_DICHOTOMY,
};

static hid_t driver_id = H5I_INVALID_HID;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void register_driver(void) { driver_id = H5FDregister(&vfd_class); }

int fr_h5vfd_use(hid_t fapl)
{
    pthread_once(&once, register_driver);
    if (driver_id < 0)
        return -1;
    return H5Pset_driver(fapl, driver_id, NULL) < 0 ? -1 : 0;
}
