/* fr_h5attr.c: checked HDF5 attribute reads and writes (fr_h5attr.h).
 *
 * Each read opens the attribute, checks its datatype class and its number of elements
 * (H5Sget_simple_extent_npoints) against what the caller expects, and only then reads,
 * into memory sized from those checked figures. HDF5 errors are expected to be quiet
 * (H5Eset_auto2 off) in the callers. */
#include "fr_h5attr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Opens name on loc with its type and space, checking the element count. */
static fr_status open_attr(hid_t loc, const char *where, const char *name, hssize_t want, hid_t *a,
                           hid_t *t, hid_t *sp, fr_status code, fr_err *err)
{
    *a = *t = *sp = H5I_INVALID_HID;
    if (H5Aexists(loc, name) <= 0)
        return fr_err_set(err, code, "%s: attribute '%s' is missing", where, name);
    if ((*a = H5Aopen(loc, name, H5P_DEFAULT)) < 0)
        return fr_err_set(err, code, "%s: H5Aopen('%s') failed", where, name);
    *t = H5Aget_type(*a);
    *sp = H5Aget_space(*a);
    hssize_t k = *sp >= 0 ? H5Sget_simple_extent_npoints(*sp) : -1;
    if (*t < 0 || *sp < 0 || k < 0)
        return fr_err_set(err, code, "%s: attribute '%s' cannot be inspected", where, name);
    if (k != want)
        return fr_err_set(err, code, "%s: attribute '%s' has %lld values, expected %lld", where, name,
                          (long long)k, (long long)want);
    return FR_OK;
}

/* A number type as a real writer makes one: an integer of 1-8 bytes, or an IEEE float of 4
 * or 8, whose bits lie inside its bytes. libhdf5's converters trust these fields, and a
 * crafted precision or offset crashed its bit copier (H5T__bit_copy, found by fuzz_model). */
static int sane_number_type(hid_t t)
{
    H5T_class_t c = H5Tget_class(t);
    size_t size = H5Tget_size(t), prec = H5Tget_precision(t);
    int off = H5Tget_offset(t);
    if (c == H5T_INTEGER)
        return size >= 1 && size <= 8 && prec >= 1 && off >= 0 && (size_t)off + prec <= 8 * size;
    if (c != H5T_FLOAT || (size != 4 && size != 8) || prec != 8 * size || off != 0)
        return 0;
    size_t spos, epos, esize, mpos, msize;
    if (H5Tget_fields(t, &spos, &epos, &esize, &mpos, &msize) < 0)
        return 0;
    return size == 4 ? spos == 31 && epos == 23 && esize == 8 && mpos == 0 && msize == 23
                     : spos == 63 && epos == 52 && esize == 11 && mpos == 0 && msize == 52;
}

static void close_attr(hid_t a, hid_t t, hid_t sp)
{
    if (sp >= 0)
        H5Sclose(sp);
    if (t >= 0)
        H5Tclose(t);
    if (a >= 0)
        H5Aclose(a);
}

fr_status fr_h5_get_string(hid_t loc, const char *where, const char *name, char *buf, size_t len, fr_status code,
                           fr_err *err)
{
    hid_t a, t, sp, mt = H5I_INVALID_HID;
    fr_status st = open_attr(loc, where, name, 1, &a, &t, &sp, code, err);
    if (st == FR_OK && H5Tget_class(t) != H5T_STRING)
        st = fr_err_set(err, code, "%s: attribute '%s' is not a string", where, name);
    char *text = NULL;
    if (st == FR_OK && H5Tis_variable_str(t) != 0)
        st = fr_err_set(err, code, "%s: attribute '%s' is a variable-length string, which this format never writes "
                        "(write fixed-length strings, as numpy.bytes_ does)", where, name);
    if (st == FR_OK) {
        size_t n = H5Tget_size(t); /* the bytes of the one value */
        mt = H5Tcopy(H5T_C_S1);
        if (mt < 0 || H5Tset_cset(mt, H5Tget_cset(t)) < 0 || H5Tset_size(mt, n + 1) < 0) {
            st = fr_err_set(err, code, "%s: attribute '%s': cannot make its memory type", where, name);
        } else if (n == 0 || n > (1u << 20)) {
            st = fr_err_set(err, code, "%s: attribute '%s' is a string of %zu bytes", where, name, n);
        } else if (!(text = calloc(1, n + 1))) {
            st = fr_err_set(err, FR_ERR_NOMEM, "%s: out of memory", where);
        } else if (H5Aread(a, mt, text) < 0) {
            st = fr_err_set(err, code, "%s: attribute '%s' cannot be read", where, name);
        }
    }
    if (st == FR_OK) {
        size_t n = strlen(text);
        if (n >= len)
            st = fr_err_set(err, code, "%s: attribute '%s' is %zu bytes long, at most %zu allowed", where, name, n, len - 1);
        else
            memcpy(buf, text, n + 1);
    }
    free(text);
    if (mt >= 0)
        H5Tclose(mt);
    close_attr(a, t, sp);
    return st;
}

fr_status fr_h5_get_numbers(hid_t loc, const char *where, const char *name, double *v, int n,
                            fr_status code, fr_err *err)
{
    hid_t a, t, sp;
    fr_status st = open_attr(loc, where, name, n, &a, &t, &sp, code, err);
    if (st == FR_OK && H5Tget_class(t) != H5T_INTEGER && H5Tget_class(t) != H5T_FLOAT)
        st = fr_err_set(err, code, "%s: attribute '%s' is not numeric", where, name);
    if (st == FR_OK && !sane_number_type(t))
        st = fr_err_set(err, code, "%s: attribute '%s' has a malformed number type", where, name);
    if (st == FR_OK && H5Aread(a, H5T_NATIVE_DOUBLE, v) < 0)
        st = fr_err_set(err, code, "%s: H5Aread('%s') failed", where, name);
    close_attr(a, t, sp);
    return st;
}

fr_status fr_h5_get_int64(hid_t loc, const char *where, const char *name, int64_t *v, fr_status code,
                          fr_err *err)
{
    hid_t a, t, sp;
    fr_status st = open_attr(loc, where, name, 1, &a, &t, &sp, code, err);
    if (st == FR_OK && H5Tget_class(t) != H5T_INTEGER)
        st = fr_err_set(err, code, "%s: attribute '%s' is not an integer", where, name);
    if (st == FR_OK && !sane_number_type(t))
        st = fr_err_set(err, code, "%s: attribute '%s' has a malformed number type", where, name);
    if (st == FR_OK && H5Aread(a, H5T_NATIVE_INT64, v) < 0)
        st = fr_err_set(err, code, "%s: attribute '%s' cannot be read as a 64-bit integer", where, name);
    close_attr(a, t, sp);
    return st;
}

int fr_h5_put_string(hid_t loc, const char *name, const char *value)
{
    hid_t t = H5Tcopy(H5T_C_S1), sp = H5Screate(H5S_SCALAR), a = H5I_INVALID_HID;
    int rc = -1;
    size_t n = strlen(value);
    if (t >= 0 && sp >= 0 && H5Tset_size(t, n ? n : 1) >= 0 && H5Tset_strpad(t, H5T_STR_NULLPAD) >= 0 &&
        H5Tset_cset(t, H5T_CSET_UTF8) >= 0 && (a = H5Acreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT)) >= 0) {
        char *padded = calloc(1, n + 1); /* an empty value is one NUL byte */
        rc = padded ? 0 : -1;
        if (padded) {
            memcpy(padded, value, n);
            rc = H5Awrite(a, t, padded) < 0 ? -1 : 0;
            free(padded);
        }
    }
    close_attr(a, t, sp);
    return rc;
}

int fr_h5_put_int64(hid_t loc, const char *name, int64_t value)
{
    hid_t sp = H5Screate(H5S_SCALAR), a = H5I_INVALID_HID;
    int rc = -1;
    if (sp >= 0 && (a = H5Acreate2(loc, name, H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT)) >= 0)
        rc = H5Awrite(a, H5T_NATIVE_INT64, &value) < 0 ? -1 : 0;
    close_attr(a, H5I_INVALID_HID, sp);
    return rc;
}
