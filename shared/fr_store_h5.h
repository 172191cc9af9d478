/* fr_store_h5.h: the store's HDF5 handle and its row helpers, for the store's own extensions
 * (fr_store_refs.c). Not for other modules: they use fr_store.h. */
#ifndef FR_STORE_H5_H
#define FR_STORE_H5_H

#include <hdf5.h>

#include "fr_store.h"

hid_t fr_store_h5_file(const fr_store *s);
const char *fr_store_h5_path(const fr_store *s);
/* An extendable dataset, dims[0] starting at 0 (one chunk per frame when compress, else 256
 * rows), as the store's own are made. */
hid_t fr_store_h5_dataset(hid_t loc, const char *name, hid_t type, int rank, const hsize_t *shape,
                          int compress);
/* Rows first..first+n-1 of a dataset (put grows it); < 0 on failure. */
int fr_store_h5_put(hid_t d, hid_t memtype, int64_t first, int64_t n, const void *buf);
int fr_store_h5_get(hid_t d, hid_t memtype, int64_t first, int64_t n, void *buf);
/* The dataset's rank and extent (up to 4 dimensions); -1 when unreadable. */
int fr_store_h5_extent(hid_t d, hsize_t dims[4]);

#endif
