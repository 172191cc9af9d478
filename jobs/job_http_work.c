/* job_http_work.c: the two slow things the page asks of a finished job, each
 * made once and kept in SPOOL/www (the only folder the web page writes):
 *   ID-sheet.png   its contact sheet (job_http_sheet.c)
 *   ID-verify.json `filmrestore verify OUTPUT --store STORE`: exit code and output
 * One is made at a time (work_lock), by a thread of the HTTP pool; the others go
 * on answering. A file is written whole and renamed into place, so a reader
 * never sees half of one. Paths come from the job's record, never a request. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "job_http_int.h"

#define SHEET_FRAMES 6
#define SHEET_THUMB_W 160
#define FILE_MAX (16 << 20)
#define VERIFY_TEXT_MAX 4096

extern char **environ;

/* The whole of a file (NULL if missing or unreadable). */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *b = malloc(FILE_MAX);
    size_t n = b ? fread(b, 1, FILE_MAX - 1, f) : 0;
    int bad = !b || ferror(f) || !feof(f);
    fclose(f);
    if (bad) {
        free(b);
        return NULL;
    }
    b[n] = 0;
    *len = n;
    return b;
}

static fr_status spit(const char *path, const void *data, size_t len, fr_err *err)
{
    char tmp[PATH_MAX + 64];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return fr_err_set(err, FR_ERR_IO, "open %s: %s", tmp, strerror(errno));
    int bad = fwrite(data, 1, len, f) != len;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        fr_err_set(err, FR_ERR_IO, "write %s: %s", path, strerror(errno));
        unlink(tmp);
        return FR_ERR_IO;
    }
    return FR_OK;
}

/* The job's FULL status if it is done (and names an output), else NULL with r set. */
static json_t *done_job(fr_job_http *h, const char *id, fr_http_reply *r)
{
    json_t *job = fr_http_api_job(h, id, r);
    if (!job)
        return NULL;
    const char *state = json_string_value(json_object_get(job, "state"));
    if (!state || strcmp(state, "done") || !json_string_value(json_object_get(json_object_get(job, "spec"), "output"))) {
        char m[128];
        snprintf(m, sizeof m, "%s is %s: only a done job has an output to show", id, state ? state : "?");
        fr_http_reply_error(r, 409, m);
        json_decref(job);
        return NULL;
    }
    return job;
}

static void serve_cached(const char *path, const char *type, fr_http_reply *r)
{
    size_t len = 0;
    char *b = slurp(path, &len);
    if (!b) {
        fr_http_reply_error(r, 500, "cannot read a cached result");
        return;
    }
    r->code = 200;
    r->type = type;
    r->body = b;
    r->len = len;
    r->owned = 1;
}

static int exists(const char *path)
{
    struct stat s;
    return stat(path, &s) == 0 && S_ISREG(s.st_mode);
}

void fr_http_work_sheet(fr_job_http *h, const char *id, fr_http_reply *r)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s-sheet.png", h->www, id);
    json_t *job = done_job(h, id, r);
    if (!job)
        return;
    fr_err err = {0};
    fr_status st = FR_OK;
    pthread_mutex_lock(&h->work_lock);
    if (!exists(path)) {
        unsigned char *png = NULL;
        size_t len = 0;
        const char *out = json_string_value(json_object_get(json_object_get(job, "spec"), "output"));
        st = fr_http_contact_sheet(out, SHEET_FRAMES, SHEET_THUMB_W, &png, &len, &err);
        if (st == FR_OK)
            st = spit(path, png, len, &err);
        free(png);
    }
    pthread_mutex_unlock(&h->work_lock);
    json_decref(job);
    if (st != FR_OK)
        fr_http_reply_error(r, 500, err.msg);
    else
        serve_cached(path, "image/png", r);
}

/* Runs `filmrestore verify OUTPUT [--store STORE]`, its output into text_path;
 * returns its exit code (-1: it could not be run). */
static int run_verify(fr_job_http *h, json_t *spec, const char *text_path)
{
    const char *out = json_string_value(json_object_get(spec, "output"));
    const char *store = json_string_value(json_object_get(spec, "store"));
    char def_store[PATH_MAX + 8];
    snprintf(def_store, sizeof def_store, "%s.h5", out);
    if (!store)
        store = def_store;
    char *argv[] = {h->exe, "verify", (char *)out, "--store", (char *)store, NULL};
    if (!exists(store))
        argv[3] = NULL; /* no store kept: the sidecar check alone */
    posix_spawn_file_actions_t fa;
    if (posix_spawn_file_actions_init(&fa) != 0)
        return -1;
    pid_t pid = -1;
    int ok = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0) == 0 &&
             posix_spawn_file_actions_addopen(&fa, 1, text_path, O_WRONLY | O_CREAT | O_TRUNC, 0600) == 0 &&
             posix_spawn_file_actions_adddup2(&fa, 1, 2) == 0 &&
             posix_spawn(&pid, h->exe, &fa, NULL, argv, environ) == 0;
    posix_spawn_file_actions_destroy(&fa);
    if (!ok)
        return -1;
    int wst = 0;
    while (waitpid(pid, &wst, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(wst) ? WEXITSTATUS(wst) : 128 + (WIFSIGNALED(wst) ? WTERMSIG(wst) : 0);
}

void fr_http_work_verify(fr_job_http *h, const char *id, fr_http_reply *r)
{
    char path[PATH_MAX + 64], text_path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s-verify.json", h->www, id);
    snprintf(text_path, sizeof text_path, "%s/%s-verify.txt", h->www, id);
    json_t *job = done_job(h, id, r);
    if (!job)
        return;
    fr_err err = {0};
    fr_status st = FR_OK;
    pthread_mutex_lock(&h->work_lock);
    if (!exists(path)) {
        int code = run_verify(h, json_object_get(job, "spec"), text_path);
        size_t len = 0;
        char *text = code >= 0 ? slurp(text_path, &len) : NULL;
        unlink(text_path);
        if (code < 0 || !text) {
            st = fr_err_set(&err, FR_ERR_IO, "cannot run %s verify", h->exe);
        } else {
            const char *tail = len > VERIFY_TEXT_MAX ? text + len - VERIFY_TEXT_MAX : text;
            json_t *o = json_pack("{s:s, s:b, s:i, s:s}", "id", id, "ok", code == 0, "exit_code", code, "output",
                                  tail);
            char *t = o ? json_dumps(o, JSON_COMPACT) : NULL;
            json_decref(o);
            st = t ? spit(path, t, strlen(t), &err) : fr_err_set(&err, FR_ERR_NOMEM, "out of memory (or output not UTF-8)");
            free(t);
        }
        free(text);
    }
    pthread_mutex_unlock(&h->work_lock);
    json_decref(job);
    if (st != FR_OK)
        fr_http_reply_error(r, 500, err.msg);
    else
        serve_cached(path, "application/json", r);
}
