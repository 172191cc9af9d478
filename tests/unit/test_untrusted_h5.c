/* test_untrusted_h5.c: model files and stores crafted to break a trusting reader.
 *
 * Each file is written here with the HDF5 C API: string attributes that are arrays,
 * h5py's UTF-8 strings, a tensor whose dims overflow size_t, a tiny file that claims a
 * gigabyte, a store whose identity matches but whose frames are larger than its render
 * size. The readers must refuse each with one message naming the culprit, quickly, and
 * without reading past any buffer (the suite also runs under ASan). */
#include <criterion/criterion.h>
#include <hdf5.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fr_model.h"
#include "fr_model_check.h"
#include "fr_sha256.h"
#include "fr_store.h"

enum { OK, NAME_ARRAY, NAME_FIXED_ARRAY, NAME_UTF8_FIXED, NAME_LONG, NAME_VLEN, HUGE_DIMS, CLAIMS_GIGABYTE, COUNT_LIE };

static char *temp(const char *tag)
{
    static char path[80];
    snprintf(path, sizeof path, "/tmp/fr-untrusted-%s-%d.h5", tag, (int)getpid());
    return path;
}

static void str_attr(hid_t loc, const char *name, const char *v, int n, int fixed, H5T_cset_t cset)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, fixed ? strlen(v) + 1 : H5T_VARIABLE);
    H5Tset_cset(t, cset);
    hsize_t dims = (hsize_t)n;
    hid_t sp = n == 1 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dims, NULL);
    hid_t a = H5Acreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    if (fixed && n == 1) {
        H5Awrite(a, t, v);
    } else if (fixed) {
        char buf[16][64] = {{0}};
        for (int i = 0; i < n; i++)
            snprintf(buf[i], sizeof buf[i], "%s", v);
        char packed[16 * 64];
        for (int i = 0; i < n; i++)
            memcpy(packed + i * (strlen(v) + 1), buf[i], strlen(v) + 1);
        H5Awrite(a, t, packed);
    } else {
        const char *vals[16];
        for (int i = 0; i < n; i++)
            vals[i] = v;
        H5Awrite(a, t, vals);
    }
    H5Aclose(a), H5Sclose(sp), H5Tclose(t);
}

static void num_attr(hid_t loc, const char *name, const double *v, int n)
{
    hsize_t dims = (hsize_t)n;
    hid_t sp = n == 1 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dims, NULL);
    hid_t a = H5Acreate2(loc, name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_DOUBLE, v);
    H5Aclose(a), H5Sclose(sp);
}

/* A one-tensor model "w" [3] = {1,2,3}, with one defect. */
static void write_model(const char *path, int bad)
{
    float w[3] = {1, 2, 3};
    uint32_t nd = 1;
    uint64_t d0 = 3;
    fr_sha256 s;
    fr_sha256_init(&s);
    fr_sha256_update(&s, "w", 2);
    fr_sha256_update(&s, &nd, 4);
    fr_sha256_update(&s, &d0, 8);
    fr_sha256_update(&s, w, sizeof w);
    char hex[65];
    fr_sha256_hex(&s, hex);
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    cr_assert(f >= 0);
    str_attr(f, "format", "filmrestore-model", 1, 1, H5T_CSET_ASCII); /* as numpy.bytes_ writes them */
    if (bad == NAME_ARRAY)
        str_attr(f, "name", "tiny", 12, 0, H5T_CSET_ASCII);
    else if (bad == NAME_FIXED_ARRAY)
        str_attr(f, "name", "tiny-model-name", 12, 1, H5T_CSET_ASCII);
    else if (bad == NAME_UTF8_FIXED)
        str_attr(f, "name", "tiny-\xc3\xa9", 1, 1, H5T_CSET_UTF8);
    else if (bad == NAME_LONG) {
        char longname[300];
        memset(longname, 'n', sizeof longname - 1);
        longname[sizeof longname - 1] = 0;
        str_attr(f, "name", longname, 1, 1, H5T_CSET_UTF8);
    } else if (bad == NAME_VLEN)
        str_attr(f, "name", "tiny", 1, 0, H5T_CSET_UTF8); /* h5py's default for str: variable-length UTF-8 */
    else
        str_attr(f, "name", "tiny", 1, 1, H5T_CSET_ASCII);
    str_attr(f, "encoder", "mobilenetv2", 1, 1, H5T_CSET_ASCII);
    str_attr(f, "decoder", "wide", 1, 1, H5T_CSET_ASCII);
    double one = 1, zero = 0, four = 4, three = 3, nt = bad == COUNT_LIE ? 2 : 1;
    double yr[2] = {-3, 3}, mean[3] = {0.5, 0.5, 0.5}, sd[3] = {0.25, 0.25, 0.25};
    num_attr(f, "format_version", &one, 1);
    num_attr(f, "nf_factor", &one, 1);
    num_attr(f, "decoder_nf", &zero, 1);
    num_attr(f, "n_taps", &four, 1);
    num_attr(f, "self_attention_block", &one, 1);
    num_attr(f, "blur", &zero, 1);
    num_attr(f, "last_cross", &one, 1);
    num_attr(f, "render_factor", &four, 1);
    num_attr(f, "n_classes", &three, 1);
    num_attr(f, "n_tensors", &nt, 1);
    num_attr(f, "y_range", yr, 2);
    num_attr(f, "input_mean", mean, 3);
    num_attr(f, "input_std", sd, 3);
    num_attr(f, "output_mean", mean, 3);
    num_attr(f, "output_std", sd, 3);
    str_attr(f, "weights_sha256", hex, 1, 1, H5T_CSET_ASCII);
    hid_t g = H5Gcreate2(f, "tensors", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (bad == HUGE_DIMS) {
        hsize_t dims[2] = {4, ((hsize_t)1 << 60) + 1};
        hid_t sp = H5Screate_simple(2, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
        hsize_t chunk[2] = {1, 1024};
        H5Pset_chunk(dcpl, 2, chunk);
        hid_t d = H5Dcreate2(g, "w", H5T_IEEE_F32LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
        cr_assert(d >= 0);
        H5Dclose(d), H5Pclose(dcpl), H5Sclose(sp);
    } else if (bad == CLAIMS_GIGABYTE) {
        hsize_t dims[2] = {16384, 16384}, chunk[2] = {64, 64};
        hid_t sp = H5Screate_simple(2, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
        H5Pset_chunk(dcpl, 2, chunk);
        H5Pset_deflate(dcpl, 1);
        hid_t d = H5Dcreate2(g, "w", H5T_IEEE_F32LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
        float zeros[64 * 64] = {0};
        hsize_t start[2] = {0, 0}, count[2] = {64, 64};
        hid_t fs = H5Dget_space(d), ms = H5Screate_simple(2, count, NULL);
        H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
        H5Dwrite(d, H5T_NATIVE_FLOAT, ms, fs, H5P_DEFAULT, zeros); /* one chunk stored */
        H5Sclose(ms), H5Sclose(fs), H5Dclose(d), H5Pclose(dcpl), H5Sclose(sp);
    } else {
        hsize_t dims = 3;
        hid_t sp = H5Screate_simple(1, &dims, NULL);
        hid_t d = H5Dcreate2(g, "w", H5T_IEEE_F32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, w);
        H5Dclose(d), H5Sclose(sp);
    }
    H5Gclose(g);
    H5Fclose(f);
}

static fr_status open_model(int bad, fr_err *err)
{
    char *path = temp("model");
    write_model(path, bad);
    fr_model *m = NULL;
    fr_status st = fr_model_open(&m, path, err);
    fr_model_free(m);
    unlink(path);
    return st;
}

Test(untrusted_model, sound_file_and_fixed_utf8_strings_load)
{
    fr_err e = {0};
    cr_assert_eq(open_model(OK, &e), FR_OK, "%s", e.msg);
    cr_assert_eq(open_model(NAME_UTF8_FIXED, &e), FR_OK, "fixed-size UTF-8: %s", e.msg);
}

/* h5py's default str is variable-length, kept in the global heap, whose reader in libhdf5
 * 1.10 crashed under fuzz_model: a model is refused before it is read. */
Test(untrusted_model, variable_length_strings_are_refused)
{
    fr_err e = {0};
    cr_assert_eq(open_model(NAME_VLEN, &e), FR_ERR_MODEL);
    cr_assert(strstr(e.msg, "attribute 'name' is a variable-length string"), "%s", e.msg);
}

Test(untrusted_model, string_arrays_are_refused)
{
    fr_err e = {0};
    cr_assert_eq(open_model(NAME_ARRAY, &e), FR_ERR_MODEL);
    cr_assert(strstr(e.msg, "attribute 'name' has 12 values, expected 1"), "%s", e.msg);
    cr_assert_eq(open_model(NAME_FIXED_ARRAY, &e), FR_ERR_MODEL);
    cr_assert(strstr(e.msg, "attribute 'name' has 12 values, expected 1"), "%s", e.msg);
}

Test(untrusted_model, long_strings_are_refused_not_truncated)
{
    fr_err e = {0};
    cr_assert_eq(open_model(NAME_LONG, &e), FR_ERR_MODEL);
    cr_assert(strstr(e.msg, "attribute 'name' is 299 bytes long, at most 127 allowed"), "%s", e.msg);
}

Test(untrusted_model, overflowing_dims_are_refused)
{
    fr_err e = {0};
    cr_assert_eq(open_model(HUGE_DIMS, &e), FR_ERR_MODEL);
    cr_assert(strstr(e.msg, "tensor 'w' has more than"), "%s", e.msg);
}

/* run and colorize-image read a model file in a child first (fr_model_check.h): a sound
 * file passes, a refused one gives the reader's own message, built-in names pass untouched. */
Test(untrusted_model, the_isolated_check_gives_the_readers_verdict)
{
    fr_err e = {0}, direct = {0};
    char *path = temp("check");
    write_model(path, OK);
    cr_assert_eq(fr_model_check_isolated(path, &e), FR_OK, "%s", e.msg);
    write_model(path, NAME_VLEN);
    cr_assert_eq(fr_model_check_isolated(path, &e), FR_ERR_MODEL);
    fr_model *m = NULL;
    cr_assert_eq(fr_model_open(&m, path, &direct), FR_ERR_MODEL);
    cr_assert_str_eq(e.msg, direct.msg);
    unlink(path);
    cr_assert_eq(fr_model_check_isolated("gray", &e), FR_OK);
    cr_assert_eq(fr_model_check_isolated("/nonexistent/model.h5", &e), FR_ERR_IO);
    cr_assert_eq(fr_model_check_isolated("/tmp", &e), FR_ERR_MODEL);
    cr_assert(strstr(e.msg, "not a regular file"), "%s", e.msg);
}

/* tests/data/model-hdf5-crash.h5, from fuzz_model: libhdf5 1.10's attribute-message
 * decoding (H5O__msg_iterate_real) copies past a buffer reading it. Whether that kills the
 * reader depends on the heap; either way the check refuses the file in one message naming
 * it, and this process is untouched. */
Test(untrusted_model, a_file_that_overflows_libhdf5_is_refused_from_a_child)
{
    fr_err e = {0};
    const char *path = "tests/data/model-hdf5-crash.h5";
    cr_assert_eq(access(path, R_OK), 0, "run the unit tests from the repository's root");
    cr_assert_eq(fr_model_check_isolated(path, &e), FR_ERR_MODEL, "%s", e.msg);
    cr_assert(strstr(e.msg, path), "%s", e.msg);
}

Test(untrusted_model, a_small_file_claiming_a_gigabyte_is_refused_before_allocation)
{
    char *path = temp("claims");
    write_model(path, CLAIMS_GIGABYTE);
    struct stat sb;
    cr_assert_eq(stat(path, &sb), 0);
    cr_assert_lt(sb.st_size, 64 * 1024, "the crafted file is %lld bytes", (long long)sb.st_size);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    fr_model *m = NULL;
    fr_err e = {0};
    fr_status st = fr_model_open(&m, path, &e);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    fr_model_free(m);
    unlink(path);
    cr_assert_eq(st, FR_ERR_MODEL);
    cr_assert(strstr(e.msg, "tensor 'w' claims 1073741824 bytes but the file stores"), "%s", e.msg);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    cr_assert_lt(secs, 1.0, "refusing took %.2f s", secs);
}

Test(untrusted_model, tensor_count_checked_before_reading)
{
    fr_err e = {0};
    cr_assert_eq(open_model(COUNT_LIE, &e), FR_ERR_MODEL);
    cr_assert(strstr(e.msg, "file holds 1 tensors but attribute 'n_tensors' says 2"), "%s", e.msg);
}

/* ---- stores */

static void identity(fr_store_identity *id)
{
    memset(id, 0, sizeof *id);
    snprintf(id->source_path, sizeof id->source_path, "film.mkv");
    snprintf(id->model_name, sizeof id->model_name, "tint");
    id->render_factor = 1; /* 16 px */
    id->batch_size = 4;
    id->declared_frames = -1;
}

/* A fresh store with one batch of 4 frames written and done. */
static char *make_store(void)
{
    char *path = temp("store");
    unlink(path);
    fr_store_identity id;
    identity(&id);
    fr_store *s = NULL;
    int resumed;
    fr_err e;
    cr_assert_eq(fr_store_open(&s, path, &id, &resumed, &e), FR_OK, "%s", e.msg);
    uint8_t gray[4 * 256] = {0}, chroma[4 * 512] = {0};
    int64_t pts[4] = {0, 1, 2, 3};
    fr_batch b = {0, 4, 0};
    cr_assert_eq(fr_store_add_batch(s, &b, &e), FR_OK, "%s", e.msg);
    cr_assert_eq(fr_store_write_frames(s, 0, 4, pts, gray, chroma, &e), FR_OK, "%s", e.msg);
    cr_assert_eq(fr_store_write_smoothed(s, 0, 4, chroma, &e), FR_OK, "%s", e.msg);
    cr_assert_eq(fr_store_mark_done(s, 0, &e), FR_OK, "%s", e.msg);
    cr_assert_eq(fr_store_close(s, &e), FR_OK, "%s", e.msg);
    return path;
}

/* Replaces dataset name with a uint8 one of the given shape. */
static void replace_dataset(const char *path, const char *name, int rank, const hsize_t *dims)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    cr_assert(f >= 0);
    cr_assert(H5Ldelete(f, name, H5P_DEFAULT) >= 0);
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t d = H5Dcreate2(f, name, H5T_STD_U8LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    cr_assert(d >= 0);
    H5Dclose(d), H5Sclose(sp), H5Fclose(f);
}

static fr_status reopen(const char *path, fr_err *e)
{
    fr_store_identity id;
    identity(&id);
    fr_store *s = NULL;
    int resumed;
    fr_status st = fr_store_open(&s, path, &id, &resumed, e);
    fr_store_free(s);
    return st;
}

Test(untrusted_store, larger_frames_under_a_matching_identity_are_refused)
{
    char *path = make_store();
    hsize_t big[4] = {4, 64, 64, 2};
    replace_dataset(path, "chroma_smoothed", 4, big);
    fr_err e = {0};
    cr_assert_eq(reopen(path, &e), FR_ERR_STORE);
    cr_assert(strstr(e.msg, "dataset /chroma_smoothed has shape [4,64,64,2]"), "%s", e.msg);
    cr_assert_null(strstr(e.msg, "rerun to resume"), "%s", e.msg);
    unlink(path);
}

Test(untrusted_store, unexpected_ranks_are_refused)
{
    char *path = make_store();
    hsize_t five[5] = {4, 16, 16, 1, 1};
    replace_dataset(path, "gray", 5, five);
    fr_err e = {0};
    cr_assert_eq(reopen(path, &e), FR_ERR_STORE);
    cr_assert(strstr(e.msg, "dataset /gray has shape unreadable"), "%s", e.msg);
    hsize_t flat[1] = {7};
    replace_dataset(path, "gray", 1, flat);
    cr_assert_eq(reopen(path, &e), FR_ERR_STORE);
    cr_assert(strstr(e.msg, "dataset /gray has shape [7]"), "%s", e.msg);
    unlink(path);
}

Test(untrusted_store, identity_string_arrays_are_refused)
{
    char *path = make_store();
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    cr_assert(f >= 0);
    H5Adelete(f, "source_path");
    str_attr(f, "source_path", "film.mkv", 12, 0, H5T_CSET_UTF8);
    H5Fclose(f);
    fr_err e = {0};
    cr_assert_eq(reopen(path, &e), FR_ERR_STORE);
    cr_assert(strstr(e.msg, "attribute 'source_path' has 12 values, expected 1"), "%s", e.msg);
    unlink(path);
}

/* h5py's default string is variable-length, kept in the global heap whose reader in
 * libhdf5 1.10 crashed on a corrupt heap under the fuzzer: a store never holds one. */
Test(untrusted_store, variable_length_strings_are_refused)
{
    char *path = make_store();
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    cr_assert(f >= 0);
    H5Adelete(f, "source_path");
    str_attr(f, "source_path", "film.mkv", 1, 0, H5T_CSET_UTF8);
    H5Fclose(f);
    fr_err e = {0};
    cr_assert_eq(reopen(path, &e), FR_ERR_STORE);
    cr_assert(strstr(e.msg, "attribute 'source_path' is a variable-length string"), "%s", e.msg);
    unlink(path);
}

Test(untrusted_store, sound_store_still_resumes)
{
    char *path = make_store();
    fr_err e = {0};
    cr_assert_eq(reopen(path, &e), FR_OK, "%s", e.msg);
    unlink(path);
}
