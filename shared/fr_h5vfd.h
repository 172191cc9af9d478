/* fr_h5vfd.h: an HDF5 file driver whose I/O goes through the fr_sys table.
 *
 * The store opens its file with this driver instead of HDF5's sec2, so that every write,
 * sync and rename of the store (HDF5's own included) passes through fr_sys.h, where a
 * test injects ENOSPC, EIO or short writes. It behaves as sec2 does: pread/pwrite at
 * byte addresses, zeros read past the end, truncation to the allocated size at flush
 * and close, flock for HDF5's file locking, and SWMR support. The file format does not
 * depend on the driver: h5py, h5dump and h5clear open the same files with sec2. */
#ifndef FR_H5VFD_H
#define FR_H5VFD_H

#include <hdf5.h>

/* Sets the driver on a file-access property list; 0, or -1 when HDF5 refused it. */
int fr_h5vfd_use(hid_t fapl);

#endif
