/* test_store.c: the HDF5 store: create, resume, identity checks, and survival of SIGKILL. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hdf5.h>

#include "fr_store.h"

static void identity(fr_store_identity *id)
{
    memset(id, 0, sizeof *id);
    snprintf(id->source_path, sizeof id->source_path, "film.mkv");
    snprintf(id->source_hash, sizeof id->source_hash, "abc");
    snprintf(id->model_name, sizeof id->model_name, "tint");
    snprintf(id->stage_settings, sizeof id->stage_settings, "smooth(off)");
    id->source_size = 1000;
    id->width = 320;
    id->height = 240;
    id->rate_num = 24;
    id->rate_den = 1;
    id->declared_frames = -1;
    id->render_factor = 1; /* 16 px */
    id->batch_size = 4;
}

static char *temp_path(void)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/fr-store-test-%d-XXXXXX", (int)getpid());
    int fd = mkstemp(path);
    close(fd);
    unlink(path);
    return path;
}

/* Frame i of the fake film: every byte derived from i. */
static void fill(int64_t i, uint8_t *gray, uint8_t *chroma)
{
    for (int k = 0; k < 16 * 16; k++) {
        gray[k] = (uint8_t)(i * 7 + k);
        chroma[2 * k] = (uint8_t)(i * 3 + k);
        chroma[2 * k + 1] = (uint8_t)(i * 5 + k);
    }
}

static void write_batch(fr_store *s, int64_t b)
{
    fr_err e;
    uint8_t gray[4 * 256], chroma[4 * 512];
    int64_t pts[4];
    for (int j = 0; j < 4; j++) {
        fill(b * 4 + j, gray + j * 256, chroma + j * 512);
        pts[j] = (b * 4 + j) * 1000;
    }
    fr_batch bt = {b * 4, 4, 0};
    int64_t row = fr_store_batch_count(s);
    cr_assert_eq(fr_store_add_batch(s, &bt, &e), FR_OK, "%s", e.msg);
    cr_assert_eq(fr_store_write_frames(s, b * 4, 4, pts, gray, chroma, &e), FR_OK, "%s", e.msg);
    cr_assert_eq(fr_store_mark_done(s, row, &e), FR_OK, "%s", e.msg);
}

static void check_batch(fr_store *s, int64_t b)
{
    fr_err e;
    uint8_t gray[4 * 256], chroma[4 * 512], wg[256], wc[512];
    cr_assert_eq(fr_store_read_frames(s, b * 4, 4, gray, chroma, &e), FR_OK, "%s", e.msg);
    for (int j = 0; j < 4; j++) {
        fill(b * 4 + j, wg, wc);
        cr_assert(!memcmp(gray + j * 256, wg, 256), "gray of frame %lld", (long long)(b * 4 + j));
        cr_assert(!memcmp(chroma + j * 512, wc, 512), "chroma of frame %lld", (long long)(b * 4 + j));
    }
}

Test(store, create_resume_and_mismatch)
{
    fr_store_identity id;
    identity(&id);
    char *path = temp_path();
    fr_store *s;
    int resumed = -1;
    fr_err e;
    cr_assert_eq(fr_store_open(&s, path, &id, &resumed, &e), FR_OK, "%s", e.msg);
    cr_assert_eq(resumed, 0);
    cr_assert_eq(fr_store_render_size(s), 16);
    write_batch(s, 0);
    write_batch(s, 2); /* out of order, as results arrive */
    fr_shot shot = {0, 12, 0, 0.75f};
    cr_assert_eq(fr_store_add_shot(s, &shot, &e), FR_OK);
    cr_assert_eq(fr_store_close(s, &e), FR_OK, "%s", e.msg);

    cr_assert_eq(fr_store_open(&s, path, &id, &resumed, &e), FR_OK, "%s", e.msg);
    cr_assert_eq(resumed, 1);
    cr_assert_eq(fr_store_batch_count(s), 2);
    fr_batch b;
    int done = 0, smoothed = 1;
    cr_assert_eq(fr_store_batch(s, 1, &b, &done, &smoothed, &e), FR_OK);
    cr_assert_eq(b.start, 8);
    cr_assert_eq(done, 1);
    cr_assert_eq(smoothed, 0);
    check_batch(s, 0);
    check_batch(s, 2);
    cr_assert_eq(fr_store_shot_count(s), 1);
    fr_shot got;
    cr_assert_eq(fr_store_shot(s, 0, &got, &e), FR_OK, "%s", e.msg);
    cr_assert(got.end == 12 && got.confidence == 0.75f, "shot row read back: end %lld, confidence %g",
              (long long)got.end, got.confidence);
    fr_store_free(s);

    id.render_factor = 2;
    cr_assert_eq(fr_store_open(&s, path, &id, &resumed, &e), FR_ERR_MISMATCH);
    cr_assert(strstr(e.msg, "its render factor is 1, this run's is 2"), "%s", e.msg);
    identity(&id);
    snprintf(id.model_hash, sizeof id.model_hash, "other");
    cr_assert_eq(fr_store_open(&s, path, &id, &resumed, &e), FR_ERR_MISMATCH);
    cr_assert(strstr(e.msg, "model weights"), "%s", e.msg);
    unlink(path);
}

/* /runs and /damage: rows come back as written, text members always terminated, and a
 * resumed store keeps the rows of earlier runs. */
Test(store, provenance_and_damage_rows)
{
    fr_store_identity id;
    identity(&id);
    char *path = temp_path();
    fr_store *s;
    int resumed = -1;
    fr_err e;
    cr_assert_eq(fr_store_open(&s, path, &id, &resumed, &e), FR_OK, "%s", e.msg);
    cr_assert_eq(fr_store_run_count(s), 0);
    cr_assert_eq(fr_store_loss_count(s), 0);
    fr_store_run run = {.started = "2026-12-01T10:00:00Z", .tool_version = "0.1.0", .ranks = 3};
    snprintf(run.hosts, sizeof run.hosts, "a (2 ranks), b (1 rank)");
    memset(run.settings, 'x', sizeof run.settings - 1); /* the longest text that fits */
    cr_assert_eq(fr_store_add_run(s, &run, &e), FR_OK, "%s", e.msg);
    fr_loss loss = {.after_frame = 36, .missing = 2, .at = 1.5};
    snprintf(loss.reason, sizeof loss.reason, "demuxer resynced");
    cr_assert_eq(fr_store_add_loss(s, &loss, &e), FR_OK, "%s", e.msg);
    cr_assert_eq(fr_store_close(s, &e), FR_OK, "%s", e.msg);

    cr_assert_eq(fr_store_open(&s, path, &id, &resumed, &e), FR_OK, "%s", e.msg);
    cr_assert_eq(resumed, 1);
    run.ranks = 5;
    cr_assert_eq(fr_store_add_run(s, &run, &e), FR_OK, "%s", e.msg);
    cr_assert_eq(fr_store_run_count(s), 2);
    fr_store_run got;
    cr_assert_eq(fr_store_get_run(s, 0, &got, &e), FR_OK, "%s", e.msg);
    cr_assert_eq(got.ranks, 3);
    cr_assert_str_eq(got.hosts, "a (2 ranks), b (1 rank)");
    cr_assert_str_eq(got.started, "2026-12-01T10:00:00Z");
    cr_assert_eq(strlen(got.settings), sizeof got.settings - 1);
    cr_assert_eq(fr_store_get_run(s, 1, &got, &e), FR_OK, "%s", e.msg);
    cr_assert_eq(got.ranks, 5);
    cr_assert_neq(fr_store_get_run(s, 2, &got, &e), FR_OK);
    fr_loss l;
    cr_assert_eq(fr_store_loss_count(s), 1);
    cr_assert_eq(fr_store_get_loss(s, 0, &l, &e), FR_OK, "%s", e.msg);
    cr_assert_eq(l.after_frame, 36);
    cr_assert_eq(l.missing, 2);
    cr_assert_float_eq(l.at, 1.5, 1e-12);
    cr_assert_str_eq(l.reason, "demuxer resynced");
    fr_store_free(s);
    unlink(path);
}

Test(store, not_a_store)
{
    char *path = temp_path();
    FILE *f = fopen(path, "w");
    fputs("not hdf5", f);
    fclose(f);
    fr_store_identity id;
    identity(&id);
    fr_store *s;
    int resumed;
    fr_err e;
    cr_assert_eq(fr_store_open(&s, path, &id, &resumed, &e), FR_ERR_STORE);
    cr_assert(strstr(e.msg, "not an HDF5 file"), "%s", e.msg);
    unlink(path);
}

/* A writer killed at random instants leaves a store that reopens, and whose
 * done batches all have their data. */
Test(store, survives_sigkill, .timeout = 120)
{
    fr_store_identity id;
    identity(&id);
    char *path = temp_path();
    srand(42);
    int64_t written = 0;
    for (int round = 0; round < 6; round++) {
        pid_t pid = fork();
        if (pid == 0) {
            fr_store *s;
            int resumed;
            fr_err e;
            if (fr_store_open(&s, path, &id, &resumed, &e) != FR_OK)
                _exit(3);
            for (int64_t b = fr_store_batch_count(s);; b++)
                write_batch(s, b);
        }
        usleep(20000 + rand() % 150000);
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        cr_assert(WIFSIGNALED(status), "writer exited early with %d", WEXITSTATUS(status));
        fr_store *s;
        int resumed;
        fr_err e;
        cr_assert_eq(fr_store_open(&s, path, &id, &resumed, &e), FR_OK, "round %d: %s", round, e.msg);
        int64_t n = fr_store_batch_count(s);
        for (int64_t b = 0; b < n; b++) {
            int done;
            fr_batch bt;
            cr_assert_eq(fr_store_batch(s, b, &bt, &done, NULL, &e), FR_OK);
            if (done)
                check_batch(s, bt.start / 4);
        }
        cr_assert_geq(n, written);
        written = n;
        /* the next writer appends from the last planned batch; redo it if not done */
        fr_store_free(s);
    }
    cr_assert_gt(written, 6, "the writers made no progress");
    unlink(path);
}

/* A store written before /shots had its confidence column (issue 26) is still opened,
 * extended and read: the new rows go in without it, and read back as confidence -1. */
Test(store, shots_without_confidence_column)
{
    fr_store_identity id;
    identity(&id);
    char *path = temp_path();
    fr_store *s;
    int resumed = -1;
    fr_err e;
    cr_assert_eq(fr_store_open(&s, path, &id, &resumed, &e), FR_OK, "%s", e.msg);
    cr_assert_eq(fr_store_close(s, &e), FR_OK, "%s", e.msg);
    /* make /shots as the older builds did: start_frame, end_frame, transition */
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    cr_assert_geq(f, 0);
    cr_assert_geq(H5Ldelete(f, "shots", H5P_DEFAULT), 0);
    hid_t t = H5Tcreate(H5T_COMPOUND, 24);
    cr_assert_geq(t, 0);
    cr_assert_geq(H5Tinsert(t, "start_frame", 0, H5T_NATIVE_INT64), 0);
    cr_assert_geq(H5Tinsert(t, "end_frame", 8, H5T_NATIVE_INT64), 0);
    cr_assert_geq(H5Tinsert(t, "transition", 16, H5T_NATIVE_INT32), 0);
    hsize_t dims = 0, maxd = H5S_UNLIMITED, chunk = 256;
    hid_t sp = H5Screate_simple(1, &dims, &maxd), dcpl = H5Pcreate(H5P_DATASET_CREATE);
    cr_assert_geq(H5Pset_chunk(dcpl, 1, &chunk), 0);
    hid_t d = H5Dcreate2(f, "shots", t, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    cr_assert_geq(d, 0);
    H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(sp);
    H5Tclose(t);
    cr_assert_geq(H5Fclose(f), 0);

    cr_assert_eq(fr_store_open(&s, path, &id, &resumed, &e), FR_OK, "%s", e.msg);
    cr_assert_eq(resumed, 1);
    fr_shot shot = {0, 12, 1, 0.9f}, got;
    cr_assert_eq(fr_store_add_shot(s, &shot, &e), FR_OK, "%s", e.msg);
    cr_assert_eq(fr_store_shot(s, 0, &got, &e), FR_OK, "%s", e.msg);
    cr_assert(got.start == 0 && got.end == 12 && got.transition == 1 && got.confidence == -1.0f,
              "old-style row read back: %lld..%lld %d %g", (long long)got.start, (long long)got.end, got.transition,
              got.confidence);
    cr_assert_eq(fr_store_close(s, &e), FR_OK, "%s", e.msg);
    unlink(path);
}
