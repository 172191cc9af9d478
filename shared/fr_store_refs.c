/* fr_store_refs.c: guided shots in the store (fr_store_refs.h), on the store's own dataset
 * helpers (fr_store_h5.h). */
#include "fr_store_refs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fr_store_h5.h"

struct fr_store_refs {
    fr_store *store;
    hid_t guided, hash;
    int size;
};

int fr_store_refs_create(int64_t file, int size)
{
    hid_t g = H5Gcreate2((hid_t)file, "references", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return -1;
    hsize_t frame[4] = {0, (hsize_t)size, (hsize_t)size, 2}, row[2] = {0, 32};
    hid_t a = fr_store_h5_dataset(g, "chroma_guided", H5T_STD_U8LE, 4, frame, 1);
    hid_t b = fr_store_h5_dataset(g, "shot_hash", H5T_STD_U8LE, 2, row, 0);
    int rc = a < 0 || b < 0 ? -1 : 0;
    if (a >= 0)
        H5Dclose(a);
    if (b >= 0)
        H5Dclose(b);
    H5Gclose(g);
    return rc;
}

void fr_store_refs_free(fr_store_refs *r)
{
    if (!r)
        return;
    if (r->guided >= 0)
        H5Dclose(r->guided);
    if (r->hash >= 0)
        H5Dclose(r->hash);
    free(r);
}

fr_status fr_store_refs_open(fr_store_refs **out, fr_store *s, fr_err *err)
{
    *out = NULL;
    fr_store_refs *r = calloc(1, sizeof *r);
    if (!r)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    r->store = s;
    r->size = fr_store_render_size(s);
    hid_t f = fr_store_h5_file(s);
    r->guided = H5Lexists(f, "references", H5P_DEFAULT) > 0 ? H5Dopen2(f, "references/chroma_guided", H5P_DEFAULT) : -1;
    r->hash = r->guided >= 0 ? H5Dopen2(f, "references/shot_hash", H5P_DEFAULT) : -1;
    if (r->guided < 0 || r->hash < 0) {
        fr_store_refs_free(r);
        return fr_err_set(err, FR_ERR_STORE, "store %s has no /references: it is damaged, or not a filmrestore store",
                          fr_store_h5_path(s));
    }
    hsize_t d[4] = {0}, h[4] = {0};
    hsize_t sz = (hsize_t)r->size;
    if (fr_store_h5_extent(r->guided, d) != 4 || d[1] != sz || d[2] != sz || d[3] != 2 ||
        fr_store_h5_extent(r->hash, h) != 2 || h[1] != 32) {
        fr_store_refs_free(r);
        return fr_err_set(err, FR_ERR_STORE, "store %s: /references has datasets of another shape; the store is damaged",
                          fr_store_h5_path(s));
    }
    *out = r;
    return FR_OK;
}

fr_status fr_store_refs_hash(fr_store_refs *r, int64_t shot, uint8_t hash[32], fr_err *err)
{
    memset(hash, 0, 32);
    hsize_t h[4] = {0};
    H5Drefresh(r->hash);
    if (fr_store_h5_extent(r->hash, h) != 2)
        return fr_err_set(err, FR_ERR_STORE, "store %s: reading /references/shot_hash failed", fr_store_h5_path(r->store));
    if (shot >= (int64_t)h[0])
        return FR_OK;
    if (fr_store_h5_get(r->hash, H5T_NATIVE_UINT8, shot, 1, hash) < 0)
        return fr_err_set(err, FR_ERR_STORE, "store %s: reading /references/shot_hash failed", fr_store_h5_path(r->store));
    return FR_OK;
}

fr_status fr_store_refs_write(fr_store_refs *r, int64_t shot, int64_t first, int n,
                              const uint8_t *chroma, const uint8_t hash[32], fr_err *err)
{
    const char *path = fr_store_h5_path(r->store);
    errno = 0;
    if (fr_store_h5_put(r->guided, H5T_NATIVE_UINT8, first, n, chroma) < 0)
        return fr_err_set(err, FR_ERR_STORE, "store %s: writing /references/chroma_guided failed%s%s", path,
                          errno ? ": " : "", errno ? strerror(errno) : "");
    fr_status st = fr_store_flush(r->store, err); /* the chroma first ... */
    if (st != FR_OK)
        return st;
    hsize_t h[4] = {0};
    if (fr_store_h5_extent(r->hash, h) != 2)
        return fr_err_set(err, FR_ERR_STORE, "store %s: reading /references/shot_hash failed", path);
    /* rows of shots never guided stay zero */
    for (int64_t i = (int64_t)h[0]; i < shot; i++) {
        static const uint8_t zero[32];
        if (fr_store_h5_put(r->hash, H5T_NATIVE_UINT8, i, 1, zero) < 0)
            return fr_err_set(err, FR_ERR_STORE, "store %s: writing /references/shot_hash failed", path);
    }
    if (fr_store_h5_put(r->hash, H5T_NATIVE_UINT8, shot, 1, hash) < 0)
        return fr_err_set(err, FR_ERR_STORE, "store %s: writing /references/shot_hash failed", path);
    return fr_store_flush(r->store, err);          /* ... then the hash */
}

fr_status fr_store_refs_unguide(fr_store_refs *r, int64_t shot, fr_err *err)
{
    static const uint8_t zero[32];
    uint8_t hash[32];
    fr_status st = fr_store_refs_hash(r, shot, hash, err);
    if (st != FR_OK || !memcmp(hash, zero, 32))
        return st;
    if (fr_store_h5_put(r->hash, H5T_NATIVE_UINT8, shot, 1, zero) < 0)
        return fr_err_set(err, FR_ERR_STORE, "store %s: writing /references/shot_hash failed", fr_store_h5_path(r->store));
    return FR_OK;
}

int fr_store_refs_guided(fr_store_refs *r, int64_t shot)
{
    static const uint8_t zero[32];
    uint8_t hash[32];
    fr_err err;
    if (fr_store_refs_hash(r, shot, hash, &err) != FR_OK)
        return -1;
    return memcmp(hash, zero, 32) != 0;
}

fr_status fr_store_refs_read(fr_store_refs *r, int64_t first, int n, uint8_t *chroma, fr_err *err)
{
    if (fr_store_h5_get(r->guided, H5T_NATIVE_UINT8, first, n, chroma) < 0)
        return fr_err_set(err, FR_ERR_STORE, "store %s: reading /references/chroma_guided failed",
                          fr_store_h5_path(r->store));
    return FR_OK;
}
