/* test_engine_model.c: the HDF5 model reader (shared/fr_model.c) on good and bad files,
 * and the sha256 it verifies with. Files are written here with the HDF5 C API in the
 * layout tools/frnet.py exports. */
#include <criterion/criterion.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fr_model.h"
#include "fr_sha256.h"

static void sha_hex(const char *msg, size_t n, char hex[65])
{
    fr_sha256 s;
    fr_sha256_init(&s);
    fr_sha256_update(&s, msg, n);
    fr_sha256_hex(&s, hex);
}

Test(engine_model, sha256_vectors)
{
    char h[65];
    sha_hex("", 0, h);
    cr_assert_str_eq(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sha_hex("abc", 3, h);
    cr_assert_str_eq(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha_hex(m, strlen(m), h);
    cr_assert_str_eq(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* 10^6 'a' fed in uneven pieces, so updates straddle block boundaries */
    char big[128];
    memset(big, 'a', sizeof big);
    fr_sha256 s;
    fr_sha256_init(&s);
    for (size_t done = 0, i = 0; done < 1000000; i++) {
        size_t k = i % 97 + 1 < 1000000 - done ? i % 97 + 1 : 1000000 - done;
        fr_sha256_update(&s, big, k);
        done += k;
    }
    fr_sha256_hex(&s, h);
    cr_assert_str_eq(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* ---- writing small model files */
enum { BAD_NONE, BAD_NO_ENCODER, BAD_FORMAT, BAD_VERSION, BAD_SHA, BAD_COUNT, BAD_NAN, BAD_INT_TENSOR };

static void attr_str(hid_t f, const char *k, const char *v)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, strlen(v));
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(f, k, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, t, v);
    H5Aclose(a), H5Sclose(sp), H5Tclose(t);
}

static void attr_num(hid_t f, const char *k, const double *v, int n)
{
    hsize_t d = (hsize_t)n;
    hid_t sp = n == 1 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &d, NULL);
    hid_t a = H5Acreate2(f, k, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_DOUBLE, v);
    H5Aclose(a), H5Sclose(sp);
}

static void attr_int(hid_t f, const char *k, int v)
{
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(f, k, H5T_STD_I32LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_INT, &v);
    H5Aclose(a), H5Sclose(sp);
}

/* two tensors, "a.weight" [2,3,1,1] and "b.bias" [4] */
static void write_model(const char *path, int bad)
{
    float w[6] = {1, -2, 3, -4, 5, 6}, b[4] = {0.5f, 0.25f, -1, 2};
    const char *names[2] = {"a.weight", "b.bias"};
    const float *data[2] = {w, b};
    int nd[2] = {4, 1};
    hsize_t dims[2][4] = {{2, 3, 1, 1}, {4}};
    size_t count[2] = {6, 4};
    fr_sha256 s;
    fr_sha256_init(&s);
    for (int i = 0; i < 2; i++) {
        uint32_t n = (uint32_t)nd[i];
        fr_sha256_update(&s, names[i], strlen(names[i]) + 1);
        fr_sha256_update(&s, &n, 4);
        for (int k = 0; k < nd[i]; k++) {
            uint64_t d = dims[i][k];
            fr_sha256_update(&s, &d, 8);
        }
        fr_sha256_update(&s, data[i], count[i] * 4);
    }
    char hex[65];
    fr_sha256_hex(&s, hex);
    if (bad == BAD_SHA)
        w[2] = 3.5f; /* stored data no longer matches the recorded digest */
    if (bad == BAD_NAN)
        w[1] = NAN;
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    cr_assert(f >= 0);
    attr_str(f, "format", bad == BAD_FORMAT ? "something-else" : "filmrestore-model");
    attr_int(f, "format_version", bad == BAD_VERSION ? 7 : 1);
    attr_str(f, "name", "tiny");
    if (bad != BAD_NO_ENCODER)
        attr_str(f, "encoder", "mobilenetv2");
    attr_str(f, "decoder", "wide");
    double one = 1, yr[2] = {-3, 3}, mean[3] = {0.485, 0.456, 0.406}, std[3] = {0.229, 0.224, 0.225};
    attr_num(f, "nf_factor", &one, 1);
    attr_int(f, "decoder_nf", 256);
    attr_int(f, "n_taps", 4);
    attr_int(f, "self_attention_block", 1);
    attr_int(f, "blur", 1);
    attr_int(f, "last_cross", 1);
    attr_int(f, "render_factor", 21);
    attr_int(f, "n_classes", 3);
    attr_int(f, "n_tensors", bad == BAD_COUNT ? 3 : 2);
    attr_num(f, "y_range", yr, 2);
    attr_num(f, "input_mean", mean, 3);
    attr_num(f, "input_std", std, 3);
    attr_num(f, "output_mean", mean, 3);
    attr_num(f, "output_std", std, 3);
    attr_str(f, "weights_sha256", hex);
    hid_t g = H5Gcreate2(f, "tensors", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    for (int i = 0; i < 2; i++) {
        hid_t sp = H5Screate_simple(nd[i], dims[i], NULL);
        int as_int = bad == BAD_INT_TENSOR && i == 1;
        hid_t d = H5Dcreate2(g, names[i], as_int ? H5T_STD_I32LE : H5T_IEEE_F32LE, sp, H5P_DEFAULT,
                             H5P_DEFAULT, H5P_DEFAULT);
        if (as_int) {
            int iv[4] = {1, 2, 3, 4};
            H5Dwrite(d, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, iv);
        } else {
            H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data[i]);
        }
        H5Dclose(d), H5Sclose(sp);
    }
    H5Gclose(g);
    H5Fclose(f);
}

static fr_status try_open(int bad, fr_err *err)
{
    char path[] = "/tmp/fr-model-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    write_model(path, bad);
    fr_model *m = NULL;
    fr_status st = fr_model_open(&m, path, err);
    fr_model_free(m);
    unlink(path);
    return st;
}

Test(engine_model, reads_and_checks_shapes)
{
    char path[] = "/tmp/fr-model-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    write_model(path, BAD_NONE);
    fr_model *m = NULL;
    fr_err err = {0};
    cr_assert_eq(fr_model_open(&m, path, &err), FR_OK, "%s", err.msg);
    const fr_model_info *in = fr_model_get_info(m);
    cr_assert_str_eq(in->name, "tiny");
    cr_assert_str_eq(in->encoder, "mobilenetv2");
    cr_assert_eq(in->self_attention_block, 1);
    cr_assert_float_eq(in->input_std[2], 0.225f, 1e-7);
    cr_assert_eq(strlen(in->sha256), 64);
    const fr_model_tensor *t;
    int64_t good[4] = {2, 3, -1, -1}, wrong[4] = {3, 2, 1, 1};
    cr_assert_eq(fr_model_get(m, "a.weight", 4, good, &t, &err), FR_OK);
    cr_assert_float_eq(t->data[3], -4.0f, 0);
    cr_assert_eq(fr_model_get(m, "a.weight", 4, wrong, &t, &err), FR_ERR_MODEL);
    cr_assert(strstr(err.msg, "'a.weight'") && strstr(err.msg, "[2,3,1,1]"), "%s", err.msg);
    cr_assert_eq(fr_model_get(m, "c.weight", 4, NULL, &t, &err), FR_ERR_MODEL);
    cr_assert(strstr(err.msg, "'c.weight' is missing"), "%s", err.msg);
    cr_assert_eq(fr_model_check_all_used(m, &err), FR_ERR_MODEL);
    cr_assert(strstr(err.msg, "'b.bias'"), "%s", err.msg);
    float *p = NULL;
    int64_t bd[1] = {4};
    cr_assert_eq(fr_model_take(m, "b.bias", 1, bd, &p, &err), FR_OK);
    cr_assert_eq(fr_model_check_all_used(m, &err), FR_OK);
    free(p);
    fr_model_free(m);
    unlink(path);
}

Test(engine_model, bad_files_name_the_culprit)
{
    fr_err err = {0};
    cr_assert_eq(try_open(BAD_NO_ENCODER, &err), FR_ERR_MODEL);
    cr_assert(strstr(err.msg, "'encoder' is missing"), "%s", err.msg);
    cr_assert_eq(try_open(BAD_FORMAT, &err), FR_ERR_MODEL);
    cr_assert(strstr(err.msg, "'format'"), "%s", err.msg);
    cr_assert_eq(try_open(BAD_VERSION, &err), FR_ERR_MODEL);
    cr_assert(strstr(err.msg, "'format_version'"), "%s", err.msg);
    cr_assert_eq(try_open(BAD_SHA, &err), FR_ERR_MODEL);
    cr_assert(strstr(err.msg, "weights_sha256"), "%s", err.msg);
    cr_assert_eq(try_open(BAD_COUNT, &err), FR_ERR_MODEL);
    cr_assert(strstr(err.msg, "n_tensors"), "%s", err.msg);
    cr_assert_eq(try_open(BAD_NAN, &err), FR_ERR_MODEL);
    cr_assert(strstr(err.msg, "'a.weight'"), "%s", err.msg);
    cr_assert_eq(try_open(BAD_INT_TENSOR, &err), FR_ERR_MODEL);
    cr_assert(strstr(err.msg, "'b.bias' is not float32"), "%s", err.msg);
    cr_assert_eq(strchr(err.msg, '\n'), NULL, "one line");
}

Test(engine_model, truncated_missing_and_foreign_files)
{
    char path[] = "/tmp/fr-model-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    write_model(path, BAD_NONE);
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    cr_assert_eq(truncate(path, n * 2 / 3), 0);
    fr_model *m = NULL;
    fr_err err = {0};
    fr_status st = fr_model_open(&m, path, &err);
    cr_assert_neq(st, FR_OK, "a truncated file opened");
    cr_assert(strstr(err.msg, path), "%s", err.msg);
    FILE *t = fopen(path, "wb");
    fputs("this is not HDF5\n", t);
    fclose(t);
    cr_assert_eq(fr_model_open(&m, path, &err), FR_ERR_MODEL);
    cr_assert(strstr(err.msg, "not an HDF5 model file"), "%s", err.msg);
    unlink(path);
    cr_assert_eq(fr_model_open(&m, "/nonexistent/model.h5", &err), FR_ERR_IO);
    cr_assert_null(m);
}
