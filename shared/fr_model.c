/* fr_model.c: reads and verifies HDF5 model files (see fr_model.h for the layout).
 *
 * Every HDF5 call is checked; HDF5's own error-stack printing is switched off while this
 * module runs (and restored after), so a bad file yields exactly one line naming the
 * attribute or tensor at fault. */
#include "fr_model.h"

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_h5attr.h"
#include "fr_sha256.h"

struct fr_model {
    fr_model_info info;
    fr_model_tensor *t;
    int n, cap;
};

typedef struct {
    H5E_auto2_t fn;
    void *data;
} quiet_h5;

static void h5_quiet(quiet_h5 *q)
{
    H5Eget_auto2(H5E_DEFAULT, &q->fn, &q->data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static void h5_restore(const quiet_h5 *q) { H5Eset_auto2(H5E_DEFAULT, q->fn, q->data); }

/* ---- attributes (checked by fr_h5attr.c) */
static fr_status attr_string(hid_t f, const char *path, const char *name, char *buf, size_t len,
                             fr_err *err)
{
    return fr_h5_get_string(f, path, name, buf, len, FR_ERR_MODEL, err);
}

static fr_status attr_numbers(hid_t f, const char *path, const char *name, double *v, int n,
                              fr_err *err)
{
    return fr_h5_get_numbers(f, path, name, v, n, FR_ERR_MODEL, err);
}

static fr_status attr_int(hid_t f, const char *path, const char *name, int lo, int hi, int *out,
                          fr_err *err)
{
    double v;
    fr_status st = attr_numbers(f, path, name, &v, 1, err);
    if (st != FR_OK)
        return st;
    if (!(v >= lo && v <= hi) || v != floor(v))
        return fr_err_set(err, FR_ERR_MODEL, "%s: attribute '%s' = %g is out of range [%d, %d]", path,
                          name, v, lo, hi);
    *out = (int)v;
    return FR_OK;
}

static fr_status attr_floats(hid_t f, const char *path, const char *name, float *out, int n,
                             int positive, fr_err *err)
{
    double v[4];
    fr_status st = attr_numbers(f, path, name, v, n, err);
    if (st != FR_OK)
        return st;
    for (int i = 0; i < n; i++) {
        if (!isfinite(v[i]) || (positive && v[i] <= 0))
            return fr_err_set(err, FR_ERR_MODEL, "%s: attribute '%s' has an invalid value %g", path,
                              name, v[i]);
        out[i] = (float)v[i];
    }
    return FR_OK;
}

static fr_status read_info(hid_t f, const char *path, fr_model_info *in, fr_err *err)
{
    char fmt[64];
    fr_status st = attr_string(f, path, "format", fmt, sizeof fmt, err);
    if (st != FR_OK)
        return fr_err_set(err, FR_ERR_MODEL, "%s: not a filmrestore model file (no 'format' attribute)",
                          path);
    if (strcmp(fmt, FR_MODEL_FORMAT))
        return fr_err_set(err, FR_ERR_MODEL, "%s: attribute 'format' is '%s', expected '%s'", path, fmt,
                          FR_MODEL_FORMAT);
    if ((st = attr_int(f, path, "format_version", 0, 1000000, &in->format_version, err)) != FR_OK)
        return st;
    if (in->format_version != FR_MODEL_FORMAT_VERSION)
        return fr_err_set(err, FR_ERR_MODEL, "%s: attribute 'format_version' is %d; this build reads %d",
                          path, in->format_version, FR_MODEL_FORMAT_VERSION);
    double nf;
    if ((st = attr_string(f, path, "name", in->name, sizeof in->name, err)) != FR_OK ||
        (st = attr_string(f, path, "encoder", in->encoder, sizeof in->encoder, err)) != FR_OK ||
        (st = attr_string(f, path, "decoder", in->decoder, sizeof in->decoder, err)) != FR_OK ||
        (st = attr_numbers(f, path, "nf_factor", &nf, 1, err)) != FR_OK ||
        (st = attr_int(f, path, "decoder_nf", 0, 65536, &in->decoder_nf, err)) != FR_OK ||
        (st = attr_int(f, path, "n_taps", 1, 16, &in->n_taps, err)) != FR_OK ||
        (st = attr_int(f, path, "self_attention_block", -1, 15, &in->self_attention_block, err)) != FR_OK ||
        (st = attr_int(f, path, "blur", 0, 1, &in->blur, err)) != FR_OK ||
        (st = attr_int(f, path, "last_cross", 0, 1, &in->last_cross, err)) != FR_OK ||
        (st = attr_int(f, path, "render_factor", 1, 1000, &in->render_factor, err)) != FR_OK ||
        (st = attr_int(f, path, "n_classes", 1, 64, &in->n_classes, err)) != FR_OK ||
        (st = attr_int(f, path, "n_tensors", 1, 1000000, &in->n_tensors, err)) != FR_OK ||
        (st = attr_floats(f, path, "y_range", in->y_range, 2, 0, err)) != FR_OK ||
        (st = attr_floats(f, path, "input_mean", in->input_mean, 3, 0, err)) != FR_OK ||
        (st = attr_floats(f, path, "input_std", in->input_std, 3, 1, err)) != FR_OK ||
        (st = attr_floats(f, path, "output_mean", in->output_mean, 3, 0, err)) != FR_OK ||
        (st = attr_floats(f, path, "output_std", in->output_std, 3, 1, err)) != FR_OK ||
        (st = attr_string(f, path, "weights_sha256", in->sha256, sizeof in->sha256, err)) != FR_OK)
        return st;
    in->nf_factor = nf;
    if (strlen(in->sha256) != 64 || strspn(in->sha256, "0123456789abcdef") != 64)
        return fr_err_set(err, FR_ERR_MODEL, "%s: attribute 'weights_sha256' is not a sha256 hex digest",
                          path);
    if (in->self_attention_block >= in->n_taps)
        return fr_err_set(err, FR_ERR_MODEL, "%s: attribute 'self_attention_block' = %d, but n_taps = %d",
                          path, in->self_attention_block, in->n_taps);
    if (!(in->y_range[1] > in->y_range[0]))
        return fr_err_set(err, FR_ERR_MODEL, "%s: attribute 'y_range' is empty", path);
    return FR_OK;
}

/* ---- tensors
 *
 * Two passes. The first reads only metadata: every tensor's type, rank and dims, with
 * the element count computed without overflow and capped, and the bytes the file really
 * stores for it, so that a small file cannot claim gigabytes. Only when every shape is
 * sound does the second pass allocate and read. */
#define MAX_TENSOR_FLOATS ((size_t)1 << 28)  /* 1 GiB: DeOldify's largest is 9.4M floats */
#define MAX_MODEL_FLOATS ((size_t)1 << 29)   /* 2 GiB in all */
#define MAX_DEFLATE_RATIO 1100               /* zlib's ceiling is about 1032:1 */

typedef struct {
    fr_model *m;
    const char *path;
    fr_err *err;
    fr_status st;
    size_t total;   /* floats over all tensors so far */
} scan_ctx;

/* Checks one dataset's type, shape and stored size; fills t's name, ndim, dims, count. */
static fr_status scan_one(hid_t g, const char *name, const char *path, fr_model_tensor *t, fr_err *err)
{
    if (strlen(name) >= sizeof t->name)
        return fr_err_set(err, FR_ERR_MODEL, "%s: tensor name '%.60s...' is too long", path, name);
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    if (d < 0)
        return fr_err_set(err, FR_ERR_MODEL, "%s: tensor '%s' is not a readable dataset", path, name);
    hid_t ty = H5Dget_type(d), sp = H5Dget_space(d), dcpl = H5Dget_create_plist(d);
    int nd = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    hsize_t dims[FR_MODEL_MAX_DIMS];
    fr_status st = FR_OK;
    if (ty < 0 || H5Tget_class(ty) != H5T_FLOAT || H5Tget_size(ty) != 4)
        st = fr_err_set(err, FR_ERR_MODEL, "%s: tensor '%s' is not float32", path, name);
    else if (nd < 1 || nd > FR_MODEL_MAX_DIMS || H5Sget_simple_extent_dims(sp, dims, NULL) != nd)
        st = fr_err_set(err, FR_ERR_MODEL, "%s: tensor '%s' has %d dimensions (1..%d allowed)", path, name, nd,
                        FR_MODEL_MAX_DIMS);
    size_t count = 1;
    for (int i = 0; st == FR_OK && i < nd; i++) {
        if (dims[i] == 0)
            st = fr_err_set(err, FR_ERR_MODEL, "%s: tensor '%s' is empty", path, name);
        else if (dims[i] > MAX_TENSOR_FLOATS || __builtin_mul_overflow(count, (size_t)dims[i], &count) ||
                 count > MAX_TENSOR_FLOATS)
            st = fr_err_set(err, FR_ERR_MODEL, "%s: tensor '%s' has more than %zu elements", path, name,
                            MAX_TENSOR_FLOATS);
        else
            t->dims[i] = (int64_t)dims[i];
    }
    if (st == FR_OK) {
        hsize_t stored = H5Dget_storage_size(d);
        int filters = dcpl >= 0 ? H5Pget_nfilters(dcpl) : -1;
        hsize_t need = (hsize_t)count * 4;
        if (filters < 0 || stored == 0 || (filters == 0 && stored < need) ||
            (filters > 0 && stored * MAX_DEFLATE_RATIO < need))
            st = fr_err_set(err, FR_ERR_MODEL, "%s: tensor '%s' claims %llu bytes but the file stores %llu",
                            path, name, (unsigned long long)need, (unsigned long long)stored);
    }
    t->ndim = nd;
    t->count = count;
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (ty >= 0)
        H5Tclose(ty);
    if (sp >= 0)
        H5Sclose(sp);
    H5Dclose(d);
    return st;
}

static herr_t scan_tensor(hid_t g, const char *name, const H5L_info_t *li, void *op)
{
    (void)li;
    scan_ctx *c = op;
    fr_model *m = c->m;
    if (m->n == m->cap) {
        c->st = fr_err_set(c->err, FR_ERR_MODEL, "%s: group 'tensors' holds more than %d tensors", c->path, m->cap);
        return -1;
    }
    fr_model_tensor *t = &m->t[m->n];
    if ((c->st = scan_one(g, name, c->path, t, c->err)) != FR_OK)
        return -1;
    if ((c->total += t->count) > MAX_MODEL_FLOATS) {
        c->st = fr_err_set(c->err, FR_ERR_MODEL, "%s: the tensors hold more than %zu floats in all", c->path, MAX_MODEL_FLOATS);
        return -1;
    }
    m->n++;
    return 0;
}

/* Second pass: reads tensor t (already checked), verifies its values, adds it to the hash. */
static fr_status read_tensor(hid_t g, const char *path, fr_model_tensor *t, fr_sha256 *sha, fr_err *err)
{
    t->data = malloc(t->count * sizeof(float));
    if (!t->data)
        return fr_err_set(err, FR_ERR_NOMEM, "%s: out of memory for tensor '%s'", path, t->name);
    hid_t d = H5Dopen2(g, t->name, H5P_DEFAULT);
    if (d < 0 || H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, t->data) < 0) {
        if (d >= 0)
            H5Dclose(d);
        return fr_err_set(err, FR_ERR_MODEL, "%s: tensor '%s' cannot be read (truncated file?)", path, t->name);
    }
    H5Dclose(d);
    for (size_t i = 0; i < t->count; i++)
        if (!isfinite(t->data[i]))
            return fr_err_set(err, FR_ERR_MODEL, "%s: tensor '%s' holds a non-finite value", path, t->name);
    /* checksum: name, NUL, ndim, dims, data (little-endian; this host is) */
    uint8_t hdr[4 + 8 * FR_MODEL_MAX_DIMS];
    uint32_t ndim = (uint32_t)t->ndim;
    memcpy(hdr, &ndim, 4);
    for (int i = 0; i < t->ndim; i++) {
        uint64_t v = (uint64_t)t->dims[i];
        memcpy(hdr + 4 + 8 * i, &v, 8);
    }
    fr_sha256_update(sha, t->name, strlen(t->name) + 1);
    fr_sha256_update(sha, hdr, 4 + 8 * (size_t)t->ndim);
    fr_sha256_update(sha, t->data, t->count * sizeof(float));
    return FR_OK;
}

fr_status fr_model_open(fr_model **out, const char *path, fr_err *err)
{
    *out = NULL;
    fr_model *m = calloc(1, sizeof *m);
    if (!m)
        return fr_err_set(err, FR_ERR_NOMEM, "%s: out of memory", path);
    quiet_h5 q;
    h5_quiet(&q);
    fr_status st = FR_OK;
    hid_t f = -1, g = -1;
    if (H5Fis_hdf5(path) <= 0) {
        FILE *fp = fopen(path, "rb");
        st = fp ? fr_err_set(err, FR_ERR_MODEL, "%s: not an HDF5 model file", path)
                : fr_err_set(err, FR_ERR_IO, "%s: cannot open model file", path);
        if (fp)
            fclose(fp);
        goto done;
    }
    f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        st = fr_err_set(err, FR_ERR_MODEL, "%s: H5Fopen failed (truncated or damaged file?)", path);
        goto done;
    }
    if ((st = read_info(f, path, &m->info, err)) != FR_OK)
        goto done;
    g = H5Gopen2(f, "tensors", H5P_DEFAULT);
    if (g < 0) {
        st = fr_err_set(err, FR_ERR_MODEL, "%s: group 'tensors' is missing", path);
        goto done;
    }
    H5G_info_t gi;
    if (H5Gget_info(g, &gi) < 0) {
        st = fr_err_set(err, FR_ERR_MODEL, "%s: cannot list group 'tensors'", path);
        goto done;
    }
    if (gi.nlinks != (hsize_t)m->info.n_tensors) {
        st = fr_err_set(err, FR_ERR_MODEL, "%s: file holds %llu tensors but attribute 'n_tensors' says %d",
                        path, (unsigned long long)gi.nlinks, m->info.n_tensors);
        goto done;
    }
    m->cap = m->info.n_tensors;
    if (!(m->t = calloc((size_t)m->cap, sizeof *m->t))) {
        st = fr_err_set(err, FR_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    scan_ctx c = {.m = m, .path = path, .err = err};
    hsize_t idx = 0;
    if (H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &idx, scan_tensor, &c) < 0) {
        st = c.st != FR_OK ? c.st : fr_err_set(err, FR_ERR_MODEL, "%s: cannot list group 'tensors'", path);
        goto done;
    }
    if (m->n != m->info.n_tensors) {
        st = fr_err_set(err, FR_ERR_MODEL, "%s: file holds %d tensors but attribute 'n_tensors' says %d",
                        path, m->n, m->info.n_tensors);
        goto done;
    }
    fr_sha256 sha;
    fr_sha256_init(&sha);
    for (int i = 0; i < m->n; i++)
        if ((st = read_tensor(g, path, &m->t[i], &sha, err)) != FR_OK)
            goto done;
    char hex[65];
    fr_sha256_hex(&sha, hex);
    if (strcmp(hex, m->info.sha256))
        st = fr_err_set(err, FR_ERR_MODEL,
                        "%s: weights do not match attribute 'weights_sha256' (file %.12s..., computed %.12s...)",
                        path, m->info.sha256, hex);
done:
    if (g >= 0)
        H5Gclose(g);
    if (f >= 0)
        H5Fclose(f);
    h5_restore(&q);
    if (st != FR_OK) {
        fr_model_free(m);
        return st;
    }
    *out = m;
    return FR_OK;
}

void fr_model_free(fr_model *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->n; i++)
        free(m->t[i].data);
    free(m->t);
    free(m);
}

const fr_model_info *fr_model_get_info(const fr_model *m) { return &m->info; }
int fr_model_count(const fr_model *m) { return m->n; }
const fr_model_tensor *fr_model_at(const fr_model *m, int i) { return &m->t[i]; }

static fr_model_tensor *find(const fr_model *m, const char *name)
{
    int lo = 0, hi = m->n - 1; /* names arrive sorted by byte order */
    while (lo <= hi) {
        int mid = (lo + hi) / 2, c = strcmp(m->t[mid].name, name);
        if (!c)
            return &m->t[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    for (int i = 0; i < m->n; i++) /* in case a writer ordered differently */
        if (!strcmp(m->t[i].name, name))
            return &m->t[i];
    return NULL;
}

static void shape_str(char *buf, size_t len, int nd, const int64_t *d)
{
    size_t k = (size_t)snprintf(buf, len, "[");
    for (int i = 0; i < nd && k < len; i++)
        k += (size_t)snprintf(buf + k, len - k, i ? ",%lld" : "%lld", (long long)d[i]);
    if (k < len)
        snprintf(buf + k, len - k, "]");
}

fr_status fr_model_get(fr_model *m, const char *name, int ndim, const int64_t *dims,
                       const fr_model_tensor **out, fr_err *err)
{
    fr_model_tensor *t = find(m, name);
    if (!t)
        return fr_err_set(err, FR_ERR_MODEL, "model '%s': tensor '%s' is missing", m->info.name, name);
    int ok = t->ndim == ndim;
    for (int i = 0; ok && dims && i < ndim; i++)
        ok = dims[i] < 0 || dims[i] == t->dims[i];
    if (!ok) {
        char have[96], want[96];
        shape_str(have, sizeof have, t->ndim, t->dims);
        shape_str(want, sizeof want, ndim, dims ? dims : t->dims);
        if (!dims)
            snprintf(want, sizeof want, "%d dimensions", ndim);
        return fr_err_set(err, FR_ERR_MODEL, "model '%s': tensor '%s' has shape %s, expected %s",
                          m->info.name, name, have, want);
    }
    if (!t->data)
        return fr_err_set(err, FR_ERR_INTERNAL, "model '%s': tensor '%s' was already taken", m->info.name,
                          name);
    t->used = 1;
    *out = t;
    return FR_OK;
}

fr_status fr_model_take(fr_model *m, const char *name, int ndim, const int64_t *dims, float **data,
                        fr_err *err)
{
    const fr_model_tensor *t;
    fr_status st = fr_model_get(m, name, ndim, dims, &t, err);
    if (st != FR_OK)
        return st;
    fr_model_tensor *w = (fr_model_tensor *)t;
    *data = w->data;
    w->data = NULL;
    return FR_OK;
}

fr_status fr_model_check_all_used(const fr_model *m, fr_err *err)
{
    for (int i = 0; i < m->n; i++)
        if (!m->t[i].used)
            return fr_err_set(err, FR_ERR_MODEL,
                              "model '%s': unexpected tensor '%s' (file does not match its architecture)",
                              m->info.name, m->t[i].name);
    return FR_OK;
}
