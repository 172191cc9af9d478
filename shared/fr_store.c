/* fr_store.c: the HDF5 store (see fr_store.h and docs/store.md).
 *
 * Life of a store:
 *   create   all groups, datasets and identity attributes are made under a
 *            temporary name, closed, and renamed into place: a store either
 *            exists whole or not at all;
 *   open     H5Fopen read-write, then H5Fstart_swmr_write. From here on only
 *            dataset extents and contents change, which SWMR keeps consistent
 *            on disk at every flush;
 *   resume   a store whose writer was killed still carries HDF5's "file in
 *            use" flag; it is cleared on open, as h5clear does, and the
 *            identity is compared before anything is written.
 * Done flags are written only after the frames they cover were flushed
 * (fr_store_mark_done), so a flag on disk always means the data is there. */
#include "fr_store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

#include "fr_h5attr.h"
#include "fr_h5vfd.h"
#include "fr_store_h5.h"
#include "fr_store_refs.h"
#include "fr_sha256.h"
#include "fr_sys.h"

struct fr_store {
    char path[1024];
    hid_t file;
    hid_t gray, chroma, smooth, pts, batches, done, smoothed, shots, state, runs, damage;
    hid_t batch_type, shot_type, run_type, loss_type;
    hid_t shot_type0;  /* /shots as written before its confidence column */
    int shots0;        /* this store's /shots lacks the column: read and written with shot_type0 */
    fr_store_identity id;
    int size;         /* render size */
    int readonly;
};

/* errno is cleared first, so that a failure of the system call under HDF5 (a full disk:
 * ENOSPC) is named in the message. */
#define CHECK(expr, what)                                                                       \
    do {                                                                                        \
        errno = 0;                                                                              \
        if ((expr) < 0) {                                                                       \
            int e_ = errno;                                                                     \
            return fr_err_set(err, FR_ERR_STORE, "store %s: %s failed%s%s", s->path, what,     \
                              e_ ? ": " : "", e_ ? strerror(e_) : "");                         \
        }                                                                                       \
    } while (0)

static void quiet_hdf5(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

fr_status fr_store_fingerprint(const char *path, fr_store_identity *id, fr_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) /* image sequences: the pattern is the identity */
        return FR_OK;
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0) {
        fclose(f);
        return fr_err_set(err, FR_ERR_IO, "%s: %s", path, strerror(errno));
    }
    enum { SPAN = 4 << 20 };
    uint8_t *buf = malloc(SPAN);
    if (!buf) {
        fclose(f);
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    }
    fr_sha256 h;
    fr_sha256_init(&h);
    int64_t size = sb.st_size;
    fr_sha256_update(&h, &size, sizeof size);
    size_t n = fread(buf, 1, SPAN, f);
    fr_sha256_update(&h, buf, n);
    if (size > 2 * (int64_t)SPAN && fseeko(f, size - SPAN, SEEK_SET) == 0) {
        n = fread(buf, 1, SPAN, f);
        fr_sha256_update(&h, buf, n);
    }
    fr_sha256_hex(&h, id->source_hash);
    id->source_size = size;
    free(buf);
    fclose(f);
    return FR_OK;
}

/* ---- attributes (checked by fr_h5attr.c) -------------------------------------------------- */

static int put_str(hid_t loc, const char *name, const char *value) { return fr_h5_put_string(loc, name, value); }
static int put_int(hid_t loc, const char *name, int64_t value) { return fr_h5_put_int64(loc, name, value); }

/* The identity as a table, so writing, reading and comparing stay in step. */
typedef struct {
    const char *name;
    size_t offset;
    int is_str;  /* 1: char[], else int (0) or int64 (2) */
    size_t len;
    const char *what; /* for messages */
} id_field;

#define STR(f, what) {#f, offsetof(fr_store_identity, f), 1, sizeof(((fr_store_identity *)0)->f), what}
#define I32(f, what) {#f, offsetof(fr_store_identity, f), 0, 0, what}
#define I64(f, what) {#f, offsetof(fr_store_identity, f), 2, 0, what}
static const id_field id_fields[] = {
    STR(source_path, "source file"),    I64(source_size, "source size"),
    STR(source_hash, "source content"), I32(width, "picture width"),
    I32(height, "picture height"),      I32(rate_num, "frame rate"),
    I32(rate_den, "frame rate"),        I64(declared_frames, "declared frame count"),
    STR(model_name, "model"),           STR(model_hash, "model weights"),
    I32(render_factor, "render factor"),I32(batch_size, "batch size"), I32(segment_frames, "segment length"),
    STR(shots_settings, "shot detection settings"),
    STR(stage_settings, "stage settings (restoration, smoothing)"), STR(tool_version, "filmrestore version"),
    STR(engine_numerics, "engine numerics (backend, precision, Winograd)"),
};
#define N_ID_FIELDS (sizeof id_fields / sizeof id_fields[0])

static int write_identity(hid_t file, const fr_store_identity *id)
{
    int rc = put_int(file, "format_version", FR_STORE_VERSION);
    for (size_t i = 0; i < N_ID_FIELDS && rc >= 0; i++) {
        const char *p = (const char *)id + id_fields[i].offset;
        if (id_fields[i].is_str == 1)
            rc = put_str(file, id_fields[i].name, p);
        else
            rc = put_int(file, id_fields[i].name, id_fields[i].is_str == 2 ? *(const int64_t *)p : *(const int *)p);
    }
    return rc;
}

static fr_status read_identity(hid_t file, const char *path, fr_store_identity *id, fr_err *err)
{
    memset(id, 0, sizeof *id);
    char where[1100];
    snprintf(where, sizeof where, "store %s", path);
    int64_t version = 0;
    fr_status st = fr_h5_get_int64(file, where, "format_version", &version, FR_ERR_STORE, err);
    if (st != FR_OK)
        return st;
    if (version != FR_STORE_VERSION)
        return fr_err_set(err, FR_ERR_STORE, "store %s: format version %lld, this build reads %d", path,
                          (long long)version, FR_STORE_VERSION);
    for (size_t i = 0; i < N_ID_FIELDS; i++) {
        const id_field *f = &id_fields[i];
        char *p = (char *)id + f->offset;
        int64_t v = 0;
        if (f->is_str == 1)
            st = fr_h5_get_string(file, where, f->name, p, f->len, FR_ERR_STORE, err);
        else if ((st = fr_h5_get_int64(file, where, f->name, &v, FR_ERR_STORE, err)) == FR_OK && f->is_str == 2)
            *(int64_t *)p = v;
        else if (st == FR_OK && (v < INT32_MIN || v > INT32_MAX))
            st = fr_err_set(err, FR_ERR_STORE, "store %s: attribute '%s' = %lld is out of range", path, f->name, (long long)v);
        else if (st == FR_OK)
            *(int *)p = (int)v;
        if (st != FR_OK)
            return st;
    }
    if (id->render_factor < 1 || id->render_factor > 128)
        return fr_err_set(err, FR_ERR_STORE, "store %s: render factor %d is out of range", path, id->render_factor);
    return FR_OK;
}

/* Names the first field in which a and b differ, or NULL. */
static const id_field *identity_diff(const fr_store_identity *a, const fr_store_identity *b)
{
    for (size_t i = 0; i < N_ID_FIELDS; i++) {
        const char *pa = (const char *)a + id_fields[i].offset, *pb = (const char *)b + id_fields[i].offset;
        int same = id_fields[i].is_str == 1 ? !strcmp(pa, pb)
                   : id_fields[i].is_str == 2 ? *(const int64_t *)pa == *(const int64_t *)pb
                                              : *(const int *)pa == *(const int *)pb;
        if (!same)
            return &id_fields[i];
    }
    return NULL;
}

static void field_text(const id_field *f, const fr_store_identity *id, char *buf, size_t len)
{
    const char *p = (const char *)id + f->offset;
    if (f->is_str == 1)
        snprintf(buf, len, "'%.200s'", p);
    else
        snprintf(buf, len, "%lld", f->is_str == 2 ? (long long)*(const int64_t *)p : (long long)*(const int *)p);
}

/* ---- datasets ------------------------------------------------------------------------------ */

/* A NUL-terminated text member of `len` bytes (HDF5 converts other lengths on read).
 * Returns 0, or -1 when a builder failed. */
static int insert_text(hid_t compound, const char *name, size_t offset, size_t len)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    int ok = t >= 0 && H5Tset_size(t, len) >= 0 && H5Tset_strpad(t, H5T_STR_NULLTERM) >= 0 &&
             H5Tinsert(compound, name, offset, t) >= 0;
    if (t >= 0)
        H5Tclose(t);
    return ok ? 0 : -1;
}

/* The compound types of the tables; 0, or -1 when any builder failed (close_types frees
 * whatever was made). */
static int make_types(fr_store *s)
{
    int bad = 0;
    s->batch_type = H5Tcreate(H5T_COMPOUND, sizeof(fr_batch));
    bad |= s->batch_type < 0 || H5Tinsert(s->batch_type, "start", HOFFSET(fr_batch, start), H5T_NATIVE_INT64) < 0 ||
           H5Tinsert(s->batch_type, "count", HOFFSET(fr_batch, count), H5T_NATIVE_INT32) < 0 ||
           H5Tinsert(s->batch_type, "shot", HOFFSET(fr_batch, shot), H5T_NATIVE_INT32) < 0;
    s->shot_type = H5Tcreate(H5T_COMPOUND, sizeof(fr_shot));
    bad |= s->shot_type < 0 || H5Tinsert(s->shot_type, "start_frame", HOFFSET(fr_shot, start), H5T_NATIVE_INT64) < 0 ||
           H5Tinsert(s->shot_type, "end_frame", HOFFSET(fr_shot, end), H5T_NATIVE_INT64) < 0 ||
           H5Tinsert(s->shot_type, "transition", HOFFSET(fr_shot, transition), H5T_NATIVE_INT32) < 0 ||
           H5Tinsert(s->shot_type, "confidence", HOFFSET(fr_shot, confidence), H5T_NATIVE_FLOAT) < 0;
    s->shot_type0 = H5Tcreate(H5T_COMPOUND, sizeof(fr_shot));
    bad |= s->shot_type0 < 0 || H5Tinsert(s->shot_type0, "start_frame", HOFFSET(fr_shot, start), H5T_NATIVE_INT64) < 0 ||
           H5Tinsert(s->shot_type0, "end_frame", HOFFSET(fr_shot, end), H5T_NATIVE_INT64) < 0 ||
           H5Tinsert(s->shot_type0, "transition", HOFFSET(fr_shot, transition), H5T_NATIVE_INT32) < 0;
    s->run_type = H5Tcreate(H5T_COMPOUND, sizeof(fr_store_run));
    bad |= s->run_type < 0 ||
           insert_text(s->run_type, "started", HOFFSET(fr_store_run, started), sizeof ((fr_store_run *)0)->started) < 0 ||
           insert_text(s->run_type, "tool_version", HOFFSET(fr_store_run, tool_version),
                       sizeof ((fr_store_run *)0)->tool_version) < 0 ||
           H5Tinsert(s->run_type, "ranks", HOFFSET(fr_store_run, ranks), H5T_NATIVE_INT32) < 0 ||
           insert_text(s->run_type, "hosts", HOFFSET(fr_store_run, hosts), sizeof ((fr_store_run *)0)->hosts) < 0 ||
           insert_text(s->run_type, "settings", HOFFSET(fr_store_run, settings), sizeof ((fr_store_run *)0)->settings) < 0;
    s->loss_type = H5Tcreate(H5T_COMPOUND, sizeof(fr_loss));
    bad |= s->loss_type < 0 || H5Tinsert(s->loss_type, "after_frame", HOFFSET(fr_loss, after_frame), H5T_NATIVE_INT64) < 0 ||
           H5Tinsert(s->loss_type, "missing", HOFFSET(fr_loss, missing), H5T_NATIVE_INT64) < 0 ||
           H5Tinsert(s->loss_type, "at_seconds", HOFFSET(fr_loss, at), H5T_NATIVE_DOUBLE) < 0 ||
           insert_text(s->loss_type, "reason", HOFFSET(fr_loss, reason), sizeof ((fr_loss *)0)->reason) < 0;
    return bad ? -1 : 0;
}

static void close_types(fr_store *s)
{
    hid_t *t[] = {&s->batch_type, &s->shot_type, &s->shot_type0, &s->run_type, &s->loss_type};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        if (*t[i] >= 0)
            H5Tclose(*t[i]);
        *t[i] = H5I_INVALID_HID;
    }
}

/* An extendable dataset: dims[0] starts at 0 and is unlimited; one chunk per frame for
 * frame data (compressed), 256 rows for tables. */
static hid_t make_dataset(hid_t file, const char *name, hid_t type, int rank, const hsize_t *shape,
                          int compress)
{
    hsize_t dims[4] = {0}, maxd[4] = {H5S_UNLIMITED}, chunk[4] = {compress ? 1 : 256};
    for (int i = 1; i < rank; i++)
        dims[i] = maxd[i] = chunk[i] = shape[i];
    hid_t sp = H5Screate_simple(rank, dims, maxd);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, rank, chunk);
    if (compress) {
        H5Pset_shuffle(dcpl);
        H5Pset_deflate(dcpl, 1);
    }
    hid_t d = H5Dcreate2(file, name, type, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Pclose(dcpl);
    H5Sclose(sp);
    return d;
}

static fr_status create_file(const char *path, const fr_store_identity *id, fr_err *err)
{
    fr_store tmp = {0}, *s = &tmp;
    snprintf(s->path, sizeof s->path, "%s", path);
    char part[1100];
    snprintf(part, sizeof part, "%s.partial-%d", path, (int)getpid());
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST);
    hid_t f = fr_h5vfd_use(fapl) == 0 ? H5Fcreate(part, H5F_ACC_TRUNC, H5P_DEFAULT, fapl) : H5I_INVALID_HID;
    H5Pclose(fapl);
    if (f < 0)
        return fr_err_set(err, FR_ERR_IO, "cannot create the store %s", path);
    int types = make_types(s);
    int sz = id->render_factor * 16;
    hsize_t frame[4] = {0, (hsize_t)sz, (hsize_t)sz, 2}, one[1] = {0};
    int rc = types < 0 ? -1 : write_identity(f, id);
    hid_t d[11];
    d[0] = make_dataset(f, "gray", H5T_STD_U8LE, 3, frame, 1);
    d[1] = make_dataset(f, "chroma_raw", H5T_STD_U8LE, 4, frame, 1);
    d[2] = make_dataset(f, "chroma_smoothed", H5T_STD_U8LE, 4, frame, 1);
    d[3] = make_dataset(f, "timestamps", H5T_STD_I64LE, 1, one, 0);
    d[4] = make_dataset(f, "batches", s->batch_type, 1, one, 0);
    d[5] = make_dataset(f, "batch_done", H5T_STD_U8LE, 1, one, 0);
    d[6] = make_dataset(f, "batch_smoothed", H5T_STD_U8LE, 1, one, 0);
    d[7] = make_dataset(f, "shots", s->shot_type, 1, one, 0);
    d[9] = make_dataset(f, "runs", s->run_type, 1, one, 0);
    d[10] = make_dataset(f, "damage", s->loss_type, 1, one, 0);
    hsize_t two = 2;
    hid_t sp = H5Screate_simple(1, &two, NULL);
    d[8] = H5Dcreate2(f, "state", H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Sclose(sp);
    if (fr_store_refs_create(f, sz) < 0)
        rc = -1;
    int64_t state[2] = {-1, 0};
    if (d[8] >= 0 && H5Dwrite(d[8], H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, state) < 0)
        rc = -1;
    if (d[3] >= 0 && put_int(d[3], "time_base_num", 0) < 0)
        rc = -1;
    for (int i = 0; i < 11; i++) {
        if (d[i] < 0)
            rc = -1;
        else
            H5Dclose(d[i]);
    }
    close_types(s);
    errno = 0;
    if (H5Fclose(f) < 0 || rc < 0 || fr_sys()->rename(part, path) != 0) {
        int e = errno;
        unlink(part);
        return fr_err_set(err, FR_ERR_STORE, "cannot create the store %s%s%s", path, e ? ": " : "", e ? strerror(e) : "");
    }
    return FR_OK;
}

/* A dataset's rank and extent; -1 when it cannot be read or has more than 4 dimensions. */
static int extent(hid_t d, hsize_t dims[4])
{
    hid_t sp = H5Dget_space(d);
    int rank = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    if (rank < 0 || rank > 4 || H5Sget_simple_extent_dims(sp, dims, NULL) != rank)
        rank = -1;
    if (sp >= 0)
        H5Sclose(sp);
    return rank;
}

/* 1 when the datatype is an integer of `size` bytes. */
static int is_int(hid_t d, size_t size)
{
    hid_t t = H5Dget_type(d);
    int ok = t >= 0 && H5Tget_class(t) == H5T_INTEGER && H5Tget_size(t) == size;
    if (t >= 0)
        H5Tclose(t);
    return ok;
}

/* 1 when the compound dataset has every member that mem (a memory compound) names. */
static int has_members(hid_t d, hid_t mem)
{
    hid_t t = H5Dget_type(d);
    int ok = t >= 0 && H5Tget_class(t) == H5T_COMPOUND;
    for (int i = 0, n = ok ? H5Tget_nmembers(mem) : 0; ok && i < n; i++) {
        char *name = H5Tget_member_name(mem, (unsigned)i);
        ok = name && H5Tget_member_index(t, name) >= 0;
        H5free_memory(name);
    }
    if (t >= 0)
        H5Tclose(t);
    return ok;
}

/* Every dataset must have the rank, inner dims and type this build writes: they become
 * memory shapes, so a store whose identity matches but whose frames are larger would
 * otherwise overflow the reader's buffers. */
static fr_status check_shape(fr_store *s, hid_t d, const char *name, fr_err *err)
{
    hsize_t dims[4] = {0};
    int rank = extent(d, dims);
    hsize_t sz = (hsize_t)s->size;
    int frames = !strcmp(name, "gray") ? 3 : !strncmp(name, "chroma", 6) ? 4 : 0;
    int ok;
    if (frames)
        ok = rank == frames && dims[1] == sz && dims[2] == sz && (frames == 3 || dims[3] == 2) && is_int(d, 1);
    else if (!strcmp(name, "state"))
        ok = rank == 1 && dims[0] == 2 && is_int(d, 8);
    else if (!strcmp(name, "batches"))
        ok = rank == 1 && has_members(d, s->batch_type);
    else if (!strcmp(name, "shots")) {
        /* a store written before the confidence column is still read, without it */
        ok = rank == 1 && has_members(d, s->shot_type0);
        s->shots0 = ok && !has_members(d, s->shot_type);
    }
    else if (!strcmp(name, "runs"))
        ok = rank == 1 && has_members(d, s->run_type);
    else if (!strcmp(name, "damage"))
        ok = rank == 1 && has_members(d, s->loss_type);
    else
        ok = rank == 1 && is_int(d, !strcmp(name, "timestamps") ? 8 : 1);
    if (!ok) {
        char shape[96] = "unreadable";
        if (rank >= 0) {
            size_t k = (size_t)snprintf(shape, sizeof shape, "[");
            for (int i = 0; i < rank && k < sizeof shape; i++)
                k += (size_t)snprintf(shape + k, sizeof shape - k, i ? ",%llu" : "%llu", (unsigned long long)dims[i]);
            if (k < sizeof shape)
                snprintf(shape + k, sizeof shape - k, "]");
        }
        return fr_err_set(err, FR_ERR_STORE, "store %s: dataset /%s has shape %s or type not written by this build (render size %d); the store is damaged: remove it, or use another --store",
                          s->path, name, shape, s->size);
    }
    return FR_OK;
}

static fr_status open_datasets(fr_store *s, fr_err *err)
{
    if (make_types(s) < 0)
        return fr_err_set(err, FR_ERR_STORE, "%s: cannot build the HDF5 types of its tables", s->path);
    struct { hid_t *h; const char *name; } sets[] = {
        {&s->gray, "gray"},          {&s->chroma, "chroma_raw"},  {&s->smooth, "chroma_smoothed"},
        {&s->pts, "timestamps"},     {&s->batches, "batches"},    {&s->done, "batch_done"},
        {&s->smoothed, "batch_smoothed"}, {&s->shots, "shots"},   {&s->state, "state"},
        {&s->runs, "runs"},          {&s->damage, "damage"},
    };
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        *sets[i].h = H5Dopen2(s->file, sets[i].name, H5P_DEFAULT);
        if (*sets[i].h < 0)
            return fr_err_set(err, FR_ERR_STORE, "store %s: dataset /%s is missing (not a filmrestore store?)",
                              s->path, sets[i].name);
    }
    s->size = s->id.render_factor * 16;
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        fr_status st = check_shape(s, *sets[i].h, sets[i].name, err);
        if (st != FR_OK)
            return st;
    }
    return FR_OK;
}

/* 1 when another process holds HDF5's file lock on path (libhdf5 flocks the files it opens,
 * shared for a reader): a writer's H5Fopen then fails with no word of why. */
static int held_by_reader(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return 0;
    int held = flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    close(fd); /* drops our lock, if we got it */
    return held;
}

static fr_status open_file(fr_store **out, const char *path, int readonly, fr_err *err)
{
    quiet_hdf5();
    *out = NULL;
    fr_store *s = calloc(1, sizeof *s);
    if (!s)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    snprintf(s->path, sizeof s->path, "%s", path);
    s->readonly = readonly;
    s->file = s->gray = s->chroma = s->smooth = s->pts = s->batches = s->done = s->smoothed =
        s->shots = s->state = s->runs = s->damage = s->batch_type = s->shot_type = s->run_type =
        s->loss_type = s->shot_type0 = H5I_INVALID_HID;
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST);
    fr_h5vfd_use(fapl); /* all I/O through the fr_sys table; on failure HDF5's sec2 does it */
    /* A SWMR reader retries a metadata read whose checksum fails (it may have raced the
     * writer), sleeping between tries; HDF5's default of 100 tries made a damaged store
     * take minutes to refuse (found by tests/fuzz/fuzz_store.c). A few tries suffice. */
    if (readonly)
        H5Pset_metadata_read_attempts(fapl, 8);
    if (!readonly) {
        /* Clear the "in use" flag a killed writer leaves, as h5clear -s does. */
        hbool_t clear = 1;
        H5Pset(fapl, "clear_status_flags", &clear);
    }
    s->file = H5Fopen(path, readonly ? H5F_ACC_RDONLY | H5F_ACC_SWMR_READ : H5F_ACC_RDWR, fapl);
    H5Pclose(fapl);
    fr_status st;
    if (s->file < 0) {
        if (!readonly && held_by_reader(path))
            st = fr_err_set(err, FR_ERR_STORE,
                            "the store %s is open in another process (a `filmrestore verify --store` reading it?); wait for it to end",
                            path);
        else
            st = fr_err_set(err, FR_ERR_STORE, "cannot open the store %s (not an HDF5 file, or damaged)", path);
        goto fail;
    }
    if ((st = read_identity(s->file, path, &s->id, err)) != FR_OK) {
        fr_err_wrap(err, "not a filmrestore store, or a damaged one");
        goto fail;
    }
    if ((st = open_datasets(s, err)) != FR_OK)
        goto fail;
    *out = s;
    return FR_OK;
fail:
    fr_store_free(s);
    return st;
}

fr_status fr_store_open_readonly(fr_store **out, const char *path, fr_err *err)
{
    return open_file(out, path, 1, err);
}

fr_status fr_store_open(fr_store **out, const char *path, const fr_store_identity *id, int *resumed,
                        fr_err *err)
{
    quiet_hdf5();
    *out = NULL;
    *resumed = access(path, F_OK) == 0;
    fr_status st;
    if (!*resumed && (st = create_file(path, id, err)) != FR_OK)
        return st;
    fr_store *s;
    if ((st = open_file(&s, path, 0, err)) != FR_OK)
        return st;
    const id_field *f = identity_diff(&s->id, id);
    if (f) {
        char was[256], now[256];
        field_text(f, &s->id, was, sizeof was);
        field_text(f, id, now, sizeof now);
        fr_store_free(s);
        return fr_err_set(err, FR_ERR_MISMATCH,
                          "store %s belongs to another run: its %s is %s, this run's is %s",
                          path, f->what, was, now);
    }
    if (H5Fstart_swmr_write(s->file) < 0) {
        fr_store_free(s);
        return fr_err_set(err, FR_ERR_STORE, "store %s: cannot start SWMR writing", path);
    }
    *out = s;
    return FR_OK;
}

const fr_store_identity *fr_store_identity_of(const fr_store *s) { return &s->id; }
int fr_store_render_size(const fr_store *s) { return s->size; }

/* ---- rows ---------------------------------------------------------------------------------- */

static int64_t rows(hid_t d)
{
    hsize_t dims[4] = {0};
    return extent(d, dims) < 1 ? -1 : (int64_t)dims[0];
}

/* Writes n rows at first, growing the dataset when needed. */
static int put_rows(hid_t d, hid_t memtype, int64_t first, int64_t n, const void *buf)
{
    hsize_t dims[4] = {0};
    int rank = extent(d, dims);
    if (rank < 1 || first < 0 || n < 0)
        return -1;
    hid_t sp;
    if ((int64_t)dims[0] < first + n) {
        dims[0] = (hsize_t)(first + n);
        if (H5Dset_extent(d, dims) < 0)
            return -1;
    }
    hsize_t start[4] = {(hsize_t)first}, count[4] = {(hsize_t)n};
    for (int i = 1; i < rank; i++)
        count[i] = dims[i];
    sp = H5Dget_space(d);
    hid_t mem = H5Screate_simple(rank, count, NULL);
    int rc = H5Sselect_hyperslab(sp, H5S_SELECT_SET, start, NULL, count, NULL);
    if (rc >= 0)
        rc = H5Dwrite(d, memtype, mem, sp, H5P_DEFAULT, buf);
    H5Sclose(mem);
    H5Sclose(sp);
    return rc;
}

static int get_rows(hid_t d, hid_t memtype, int64_t first, int64_t n, void *buf)
{
    hsize_t dims[4] = {0};
    H5Drefresh(d); /* a SWMR reader sees the writer's latest extent */
    int rank = extent(d, dims);
    if (rank < 1 || first < 0 || n < 0 || first + n > (int64_t)dims[0])
        return -1;
    hid_t sp = H5Dget_space(d);
    hsize_t start[4] = {(hsize_t)first}, count[4] = {(hsize_t)n};
    for (int i = 1; i < rank; i++)
        count[i] = dims[i];
    hid_t mem = H5Screate_simple(rank, count, NULL);
    int rc = H5Sselect_hyperslab(sp, H5S_SELECT_SET, start, NULL, count, NULL);
    if (rc >= 0)
        rc = H5Dread(d, memtype, mem, sp, H5P_DEFAULT, buf);
    H5Sclose(mem);
    H5Sclose(sp);
    return rc;
}

int64_t fr_store_batch_count(const fr_store *s) { return rows(s->batches); }
int64_t fr_store_shot_count(const fr_store *s) { return rows(s->shots); }

fr_status fr_store_batch(const fr_store *s, int64_t i, fr_batch *b, int *done, int *smoothed, fr_err *err)
{
    uint8_t d = 0, m = 0;
    CHECK(get_rows(s->batches, s->batch_type, i, 1, b), "reading /batches");
    if (done) {
        CHECK(i < rows(s->done) ? get_rows(s->done, H5T_NATIVE_UINT8, i, 1, &d) : 0, "reading /batch_done");
        *done = d;
    }
    if (smoothed) {
        CHECK(i < rows(s->smoothed) ? get_rows(s->smoothed, H5T_NATIVE_UINT8, i, 1, &m) : 0,
              "reading /batch_smoothed");
        *smoothed = m;
    }
    return FR_OK;
}

fr_status fr_store_add_batch(fr_store *s, const fr_batch *b, fr_err *err)
{
    uint8_t zero = 0;
    int64_t n = rows(s->batches);
    CHECK(put_rows(s->batches, s->batch_type, n, 1, b), "writing /batches");
    CHECK(put_rows(s->done, H5T_NATIVE_UINT8, n, 1, &zero), "writing /batch_done");
    CHECK(put_rows(s->smoothed, H5T_NATIVE_UINT8, n, 1, &zero), "writing /batch_smoothed");
    return FR_OK;
}

fr_status fr_store_shot(const fr_store *s, int64_t i, fr_shot *shot, fr_err *err)
{
    CHECK(get_rows(s->shots, s->shots0 ? s->shot_type0 : s->shot_type, i, 1, shot), "reading /shots");
    if (s->shots0)
        shot->confidence = -1;
    return FR_OK;
}

fr_status fr_store_add_shot(fr_store *s, const fr_shot *shot, fr_err *err)
{
    CHECK(put_rows(s->shots, s->shots0 ? s->shot_type0 : s->shot_type, rows(s->shots), 1, shot), "writing /shots");
    return FR_OK;
}

fr_status fr_store_add_run(fr_store *s, const fr_store_run *run, fr_err *err)
{
    CHECK(put_rows(s->runs, s->run_type, rows(s->runs), 1, run), "writing /runs");
    return fr_store_flush(s, err);
}

int64_t fr_store_run_count(const fr_store *s) { return rows(s->runs); }

/* Text members read from a file: NUL-terminated whatever the file held. */
#define TERMINATE(a) ((a)[sizeof(a) - 1] = 0)

fr_status fr_store_get_run(const fr_store *s, int64_t i, fr_store_run *run, fr_err *err)
{
    CHECK(get_rows(s->runs, s->run_type, i, 1, run), "reading /runs");
    TERMINATE(run->started);
    TERMINATE(run->tool_version);
    TERMINATE(run->hosts);
    TERMINATE(run->settings);
    return FR_OK;
}

fr_status fr_store_add_loss(fr_store *s, const fr_loss *loss, fr_err *err)
{
    CHECK(put_rows(s->damage, s->loss_type, rows(s->damage), 1, loss), "writing /damage");
    return FR_OK;
}

int64_t fr_store_loss_count(const fr_store *s) { return rows(s->damage); }

fr_status fr_store_get_loss(const fr_store *s, int64_t i, fr_loss *loss, fr_err *err)
{
    CHECK(get_rows(s->damage, s->loss_type, i, 1, loss), "reading /damage");
    TERMINATE(loss->reason);
    return FR_OK;
}

int64_t fr_store_smoothed_frames(const fr_store *s)
{
    H5Drefresh(s->smooth);
    return rows(s->smooth);
}

fr_status fr_store_write_frames(fr_store *s, int64_t first, int n, const int64_t *pts,
                                const uint8_t *gray, const uint8_t *chroma, fr_err *err)
{
    CHECK(put_rows(s->pts, H5T_NATIVE_INT64, first, n, pts), "writing /timestamps");
    if (gray)
        CHECK(put_rows(s->gray, H5T_NATIVE_UINT8, first, n, gray), "writing /gray");
    if (chroma)
        CHECK(put_rows(s->chroma, H5T_NATIVE_UINT8, first, n, chroma), "writing /chroma_raw");
    return FR_OK;
}

fr_status fr_store_read_frames(fr_store *s, int64_t first, int n, uint8_t *gray, uint8_t *chroma,
                               fr_err *err)
{
    if (gray)
        CHECK(get_rows(s->gray, H5T_NATIVE_UINT8, first, n, gray), "reading /gray");
    if (chroma)
        CHECK(get_rows(s->chroma, H5T_NATIVE_UINT8, first, n, chroma), "reading /chroma_raw");
    return FR_OK;
}

fr_status fr_store_read_timestamps(fr_store *s, int64_t first, int n, int64_t *pts, fr_err *err)
{
    CHECK(get_rows(s->pts, H5T_NATIVE_INT64, first, n, pts), "reading /timestamps");
    return FR_OK;
}

fr_status fr_store_write_smoothed(fr_store *s, int64_t first, int n, const uint8_t *chroma, fr_err *err)
{
    CHECK(put_rows(s->smooth, H5T_NATIVE_UINT8, first, n, chroma), "writing /chroma_smoothed");
    return FR_OK;
}

fr_status fr_store_read_smoothed(fr_store *s, int64_t first, int n, uint8_t *chroma, fr_err *err)
{
    CHECK(get_rows(s->smooth, H5T_NATIVE_UINT8, first, n, chroma), "reading /chroma_smoothed");
    return FR_OK;
}

/* H5Fflush hands the data to the kernel; fsync makes it durable before a flag follows. */
fr_status fr_store_flush(fr_store *s, fr_err *err)
{
    CHECK(H5Fflush(s->file, H5F_SCOPE_LOCAL), "flushing");
    int *fd = NULL;
    CHECK(H5Fget_vfd_handle(s->file, H5P_DEFAULT, (void **)&fd), "finding the file descriptor");
    if (fd && fr_sys()->fsync(*fd) != 0)
        return fr_err_set(err, FR_ERR_STORE, "store %s: fsync failed: %s", s->path, strerror(errno));
    return FR_OK;
}

static fr_status set_flag(fr_store *s, hid_t d, int64_t batch, uint8_t one, const char *what, fr_err *err)
{
    fr_status st = fr_store_flush(s, err); /* the data first ... */
    if (st != FR_OK)
        return st;
    CHECK(put_rows(d, H5T_NATIVE_UINT8, batch, 1, &one), what);
    return fr_store_flush(s, err);         /* ... then the flag */
}

fr_status fr_store_mark_done(fr_store *s, int64_t batch, fr_err *err)
{
    return set_flag(s, s->done, batch, 1, "writing /batch_done", err);
}

fr_status fr_store_mark_undone(fr_store *s, int64_t batch, fr_err *err)
{
    fr_status st = set_flag(s, s->done, batch, 0, "writing /batch_done", err);
    return st != FR_OK ? st : set_flag(s, s->smoothed, batch, 0, "writing /batch_smoothed", err);
}

fr_status fr_store_mark_smoothed(fr_store *s, int64_t batch, fr_err *err)
{
    return set_flag(s, s->smoothed, batch, 1, "writing /batch_smoothed", err);
}

int64_t fr_store_frame_count(const fr_store *s)
{
    int64_t state[2] = {-1, 0};
    H5Drefresh(s->state);
    if (H5Dread(s->state, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, state) < 0)
        return -1;
    return state[0];
}

fr_status fr_store_set_frame_count(fr_store *s, int64_t frames, fr_err *err)
{
    int64_t state[2] = {frames, 0};
    CHECK(H5Dwrite(s->state, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, state), "writing /state");
    return fr_store_flush(s, err);
}

static int close_all(fr_store *s)
{
    int rc = 0;
    hid_t *h[] = {&s->gray,     &s->chroma, &s->smooth, &s->pts,  &s->batches, &s->done,
                  &s->smoothed, &s->shots,  &s->state,  &s->runs, &s->damage};
    for (size_t i = 0; i < sizeof h / sizeof h[0]; i++)
        if (*h[i] >= 0 && H5Dclose(*h[i]) < 0)
            rc = -1;
    close_types(s);
    if (s->file >= 0 && H5Fclose(s->file) < 0)
        rc = -1;
    return rc;
}

fr_status fr_store_close(fr_store *s, fr_err *err)
{
    if (!s)
        return FR_OK;
    int rc = close_all(s);
    fr_status st = rc < 0 ? fr_err_set(err, FR_ERR_STORE, "store %s: closing failed", s->path) : FR_OK;
    free(s);
    return st;
}

void fr_store_free(fr_store *s)
{
    if (!s)
        return;
    close_all(s);
    free(s);
}

/* ---- for the store's extensions (fr_store_h5.h) ------------------------------------------- */

hid_t fr_store_h5_file(const fr_store *s) { return s->file; }
const char *fr_store_h5_path(const fr_store *s) { return s->path; }
hid_t fr_store_h5_dataset(hid_t loc, const char *name, hid_t type, int rank, const hsize_t *shape,
                          int compress)
{
    return make_dataset(loc, name, type, rank, shape, compress);
}
int fr_store_h5_put(hid_t d, hid_t memtype, int64_t first, int64_t n, const void *buf)
{
    return put_rows(d, memtype, first, n, buf);
}
int fr_store_h5_get(hid_t d, hid_t memtype, int64_t first, int64_t n, void *buf)
{
    return get_rows(d, memtype, first, n, buf);
}
int fr_store_h5_extent(hid_t d, hsize_t dims[4]) { return extent(d, dims); }
