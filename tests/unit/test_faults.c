/* test_faults.c: faults injected through the fr_sys table (fr_sys.h) into the encoder's
 * output and the store: ENOSPC, EIO and short writes at the Nth call. A short write must
 * change nothing in the output; a failure must give an error naming its cause, leave no
 * output and no temporary file, and never mark undone work as done. The clip is made by
 * the real ffmpeg; the encoder and the store are the real ones. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fr_remux.h"
#include "fr_store.h"
#include "fr_sys.h"

extern char **environ;

/* ---- the injector: counts calls of each kind, fails the Nth */
static struct {
    int write_n, fsync_n, rename_n, pwrite_n;     /* calls so far */
    int fail_write, fail_fsync, fail_rename, fail_pwrite; /* fail the call with this number (0: never) */
    int err;                            /* errno of the failure */
    size_t short_max;                   /* > 0: write at most this many bytes per call */
} inj;

static ssize_t inj_write(int fd, const void *buf, size_t n)
{
    if (++inj.write_n == inj.fail_write) {
        errno = inj.err;
        return -1;
    }
    if (inj.short_max && n > inj.short_max)
        n = inj.short_max;
    return fr_sys_default()->write(fd, buf, n);
}

static ssize_t inj_pwrite(int fd, const void *buf, size_t n, off_t at)
{
    if (++inj.pwrite_n == inj.fail_pwrite) {
        errno = inj.err;
        return -1;
    }
    if (inj.short_max && n > inj.short_max)
        n = inj.short_max;
    return fr_sys_default()->pwrite(fd, buf, n, at);
}

static int inj_fsync(int fd)
{
    if (++inj.fsync_n == inj.fail_fsync) {
        errno = inj.err;
        return -1;
    }
    return fr_sys_default()->fsync(fd);
}

static int inj_rename(const char *a, const char *b)
{
    if (++inj.rename_n == inj.fail_rename) {
        errno = inj.err;
        return -1;
    }
    return fr_sys_default()->rename(a, b);
}

static void inject(void)
{
    fr_sys_table t = *fr_sys_default();
    t.write = inj_write;
    t.pwrite = inj_pwrite;
    t.fsync = inj_fsync;
    t.rename = inj_rename;
    fr_sys_override(&t);
}

static void reset(void)
{
    memset(&inj, 0, sizeof inj);
    fr_sys_override(NULL);
}

/* ---- fixtures */
static char dir[64];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/fr-faults-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[400];
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.' || (e->d_name[1] && strcmp(e->d_name, "..")))
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name), unlink(p);
    if (d)
        closedir(d);
    rmdir(dir);
}

/* Files in dir, hidden ones (the encoder's temporaries) included. */
static int count_files(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    while (d && (e = readdir(d)))
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    if (d)
        closedir(d);
    return n;
}

static void make_clip(const char *path)
{
    char *argv[] = {"ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10",
                    "-t", "1", "-c:v", "libx264", "-pix_fmt", "yuv420p", (char *)path, NULL};
    pid_t pid;
    cr_assert_eq(posix_spawnp(&pid, "ffmpeg", NULL, NULL, argv, environ), 0);
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "ffmpeg failed");
}

static fr_status flat_chroma(void *ctx, const fr_frame *f, uint8_t *chroma, fr_err *err)
{
    (void)ctx, (void)err;
    memset(chroma, (int)(100 + f->index), 32 * 32 * 2);
    return FR_OK;
}

static fr_status remux(const char *in, const char *out, fr_err *err)
{
    fr_remux_opts o = {.codec = FR_CODEC_FFV1, .chroma_size = 32, .chroma = flat_chroma};
    return fr_remux(in, out, &o, err);
}

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    rewind(f);
    uint8_t *b = malloc(*n ? *n : 1);
    cr_assert_eq(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

/* ---- the encoder's output */

Test(faults, short_writes_change_nothing)
{
    make_dir();
    char src[96], ref[96], out[96];
    snprintf(src, sizeof src, "%s/src.mkv", dir);
    snprintf(ref, sizeof ref, "%s/ref.mkv", dir);
    snprintf(out, sizeof out, "%s/out.mkv", dir);
    make_clip(src);
    fr_err e = {0};
    cr_assert_eq(remux(src, ref, &e), FR_OK, "%s", e.msg);
    inject();
    inj.short_max = 997;
    fr_status st = remux(src, out, &e);
    int writes = inj.write_n;
    reset();
    cr_assert_eq(st, FR_OK, "%s", e.msg);
    cr_assert_gt(writes, 10, "only %d writes: the output did not go through fr_sys", writes);
    size_t na, nb;
    uint8_t *a = slurp(ref, &na), *b = slurp(out, &nb);
    cr_assert(na == nb && !memcmp(a, b, na), "short writes changed the output");
    free(a), free(b);
    remove_dir();
}

/* Fails the encoder at one call and checks the error and that nothing is left. */
static void encoder_fault(int *which, int n, int err, const char *want)
{
    make_dir();
    char src[96], out[96];
    snprintf(src, sizeof src, "%s/src.mkv", dir);
    snprintf(out, sizeof out, "%s/out.mkv", dir);
    make_clip(src);
    fr_err e = {0};
    inject();
    *which = n;
    inj.err = err;
    fr_status st = remux(src, out, &e);
    int w = inj.write_n, f = inj.fsync_n, r = inj.rename_n;
    reset();
    cr_assert_neq(st, FR_OK, "a fault at call %d went unnoticed (writes %d, fsyncs %d, renames %d)", n, w, f, r);
    cr_assert(strstr(e.msg, want), "call %d: '%s' does not say '%s'", n, e.msg, want);
    cr_assert_eq(access(out, F_OK), -1, "an output exists after a failed write");
    cr_assert_eq(count_files(), 1, "a temporary file was left behind");
    remove_dir();
}

Test(faults, enospc_at_any_write)
{
    for (int n = 1; n <= 5; n++) /* this clip takes 5 writes: header, clusters, cues, trailer, final flush */
        encoder_fault(&inj.fail_write, n, ENOSPC, "No space left on device");
}

Test(faults, eio_at_fsync_and_rename)
{
    encoder_fault(&inj.fail_fsync, 1, EIO, "fsync: Input/output error");
    encoder_fault(&inj.fail_rename, 1, EIO, "Input/output error");
}

/* ---- the store */

static void identity(fr_store_identity *id)
{
    memset(id, 0, sizeof *id);
    snprintf(id->source_path, sizeof id->source_path, "film.mkv");
    id->render_factor = 1;
    id->batch_size = 4;
    id->declared_frames = -1;
}

Test(faults, store_creation_enospc)
{
    make_dir();
    char path[96];
    snprintf(path, sizeof path, "%s/s.h5", dir);
    fr_store_identity id;
    identity(&id);
    fr_store *s = NULL;
    int resumed;
    fr_err e = {0};
    inject();
    inj.fail_rename = 1;
    inj.err = ENOSPC;
    fr_status st = fr_store_open(&s, path, &id, &resumed, &e);
    reset();
    cr_assert_eq(st, FR_ERR_STORE);
    cr_assert(strstr(e.msg, "No space left on device"), "%s", e.msg);
    cr_assert_eq(count_files(), 0, "a store or its temporary was left behind");
    remove_dir();
}

Test(faults, store_fsync_eio_never_marks_done)
{
    make_dir();
    char path[96];
    snprintf(path, sizeof path, "%s/s.h5", dir);
    fr_store_identity id;
    identity(&id);
    fr_store *s = NULL;
    int resumed, done = -1;
    fr_err e = {0};
    cr_assert_eq(fr_store_open(&s, path, &id, &resumed, &e), FR_OK, "%s", e.msg);
    uint8_t gray[4 * 256] = {1}, chroma[4 * 512] = {2};
    int64_t pts[4] = {0, 1, 2, 3};
    fr_batch b = {0, 4, 0};
    cr_assert_eq(fr_store_add_batch(s, &b, &e), FR_OK, "%s", e.msg);
    cr_assert_eq(fr_store_write_frames(s, 0, 4, pts, gray, chroma, &e), FR_OK, "%s", e.msg);
    inject();
    inj.fail_fsync = 1; /* the flush of the data, before the flag */
    inj.err = EIO;
    fr_status st = fr_store_mark_done(s, 0, &e);
    reset();
    cr_assert_eq(st, FR_ERR_STORE);
    cr_assert(strstr(e.msg, "fsync failed: Input/output error"), "%s", e.msg);
    fr_store_free(s);
    cr_assert_eq(fr_store_open(&s, path, &id, &resumed, &e), FR_OK, "%s", e.msg);
    fr_batch got;
    cr_assert_eq(fr_store_batch(s, 0, &got, &done, NULL, &e), FR_OK, "%s", e.msg);
    cr_assert_eq(done, 0, "a batch whose data was never made durable is marked done");
    fr_store_free(s);
    remove_dir();
}

/* HDF5's own writes go through the table too (shared/fr_h5vfd.c). ENOSPC at each of a
 * batch's HDF5 writes in turn, and short writes throughout: the error names the cause,
 * and on reopen the batch is done only if its frames read back whole. */
static int store_batch_under(int fail_at, size_t short_max, char *msg, size_t len)
{
    char path[96];
    snprintf(path, sizeof path, "%s/s.h5", dir);
    unlink(path);
    fr_store_identity id;
    identity(&id);
    fr_store *s = NULL;
    int resumed;
    fr_err e = {0};
    cr_assert_eq(fr_store_open(&s, path, &id, &resumed, &e), FR_OK, "%s", e.msg);
    uint8_t gray[4 * 256], chroma[4 * 512], back_g[4 * 256], back_c[4 * 512];
    for (size_t i = 0; i < sizeof gray; i++)
        gray[i] = (uint8_t)(i * 7);
    for (size_t i = 0; i < sizeof chroma; i++)
        chroma[i] = (uint8_t)(i * 13);
    int64_t pts[4] = {0, 1, 2, 3};
    fr_batch b = {0, 4, 0};
    inject();
    inj.fail_pwrite = fail_at;
    inj.short_max = short_max;
    inj.err = ENOSPC;
    fr_status st = fr_store_add_batch(s, &b, &e);
    if (st == FR_OK)
        st = fr_store_write_frames(s, 0, 4, pts, gray, chroma, &e);
    if (st == FR_OK)
        st = fr_store_mark_done(s, 0, &e);
    int calls = inj.pwrite_n;
    reset();
    snprintf(msg, len, "%s", st == FR_OK ? "" : e.msg);
    fr_store_free(s);
    cr_assert_eq(fr_store_open(&s, path, &id, &resumed, &e), FR_OK, "reopen after a failed write at %d: %s", fail_at, e.msg);
    int done = 0;
    fr_batch got;
    if (fr_store_batch_count(s) > 0 && fr_store_batch(s, 0, &got, &done, NULL, &e) == FR_OK && done) {
        cr_assert_eq(fr_store_read_frames(s, 0, 4, back_g, back_c, &e), FR_OK, "%s", e.msg);
        cr_assert(!memcmp(back_g, gray, sizeof gray) && !memcmp(back_c, chroma, sizeof chroma),
                  "batch marked done with damaged frames (failure at write %d)", fail_at);
    }
    cr_assert(st != FR_OK || done, "a batch that was stored without error is not done");
    fr_store_free(s);
    return st == FR_OK ? -calls : 0;
}

Test(faults, store_hdf5_writes_enospc_and_short)
{
    make_dir();
    char msg[FR_ERR_MSG_LEN];
    int calls = -store_batch_under(0, 0, msg, sizeof msg);
    cr_log_info("%d HDF5 writes for one batch", calls);
    cr_assert_gt(calls, 2, "the store's HDF5 writes do not pass through the fr_sys table (%d pwrite calls)", calls);
    for (int n = 1; n <= calls; n++) {
        store_batch_under(n, 0, msg, sizeof msg);
        cr_assert(strstr(msg, "No space left on device"), "failure at HDF5 write %d of %d: '%s'", n, calls, msg);
    }
    cr_assert_lt(store_batch_under(0, 7, msg, sizeof msg), 0, "short writes failed the store: %s", msg);
    remove_dir();
}
