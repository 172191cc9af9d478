/* fr_h5attr.h: HDF5 attributes, read without trusting the file.
 *
 * The one attribute reader of the store and the model loader. A read checks, before
 * anything is copied, that the attribute exists, has the expected class, holds exactly
 * the expected number of values (a string must be a single, scalar value: an array of
 * strings once overflowed a fixed buffer), and that a string fits the caller's buffer
 * (it is refused, never silently truncated). Strings may be fixed or variable length,
 * ASCII or UTF-8 (h5py's default). Messages read "WHERE: attribute 'NAME' ...", and the
 * status is the caller's (FR_ERR_MODEL, FR_ERR_STORE). */
#ifndef FR_H5ATTR_H
#define FR_H5ATTR_H

#include <stddef.h>
#include <stdint.h>

#include <hdf5.h>

#include "fr_status.h"

/* A single fixed-length string value into buf (len bytes with the NUL). A variable-length
 * string is refused unread: h5py writes them, kept in HDF5's global heap, and libhdf5
 * 1.10's heap reader (H5HG_read) crashes on a corrupt heap (found by tests/fuzz/fuzz_store.c
 * and fuzz_model.c); neither the store nor a model file is written with them. */
fr_status fr_h5_get_string(hid_t loc, const char *where, const char *name, char *buf, size_t len, fr_status code,
                           fr_err *err);
/* Exactly n numbers (integer or float class), converted to double. */
fr_status fr_h5_get_numbers(hid_t loc, const char *where, const char *name, double *v, int n,
                            fr_status code, fr_err *err);
/* A single integer, read as int64 without passing through double. */
fr_status fr_h5_get_int64(hid_t loc, const char *where, const char *name, int64_t *v, fr_status code,
                          fr_err *err);

/* Scalar attributes written as the store writes them: fixed-length UTF-8 text, int64 LE.
 * Return 0, or -1 when an HDF5 call failed. */
int fr_h5_put_string(hid_t loc, const char *name, const char *value);
int fr_h5_put_int64(hid_t loc, const char *name, int64_t value);

#endif
