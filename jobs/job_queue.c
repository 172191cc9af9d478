/* job_queue.c: the persistent job table (job_queue.h).
 *
 * Every change of a job's state goes through fr_job_queue_save, which writes
 * the whole record to SPOOL/jobs/.ID.tmp, fsyncs it, renames it over ID.json
 * and fsyncs the folder: a reader (or a restarted daemon) sees either the old
 * record or the new one, never a torn one. */
#include "job_queue.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fr_log.h"
#include "job_record.h"

struct fr_job_queue {
    char spool[PATH_MAX];
    int lock_fd, jobs_fd;  /* the lock file; the jobs folder (for fsync) */
    fr_job **jobs;         /* in submission order */
    size_t n, cap;
    long next_seq;
};

static fr_status push(fr_job_queue *q, fr_job *j, fr_err *err)
{
    if (q->n == q->cap) {
        size_t cap = q->cap ? 2 * q->cap : 64;
        fr_job **p = realloc(q->jobs, cap * sizeof *p);
        if (!p)
            return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        q->jobs = p;
        q->cap = cap;
    }
    q->jobs[q->n++] = j;
    if (j->seq >= q->next_seq)
        q->next_seq = j->seq + 1;
    return FR_OK;
}

static int by_seq(const void *a, const void *b)
{
    const fr_job *x = *(fr_job *const *)a, *y = *(fr_job *const *)b;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* A record that cannot be read or fails its checks: renamed to NAME.bad beside it
 * (kept for a person to look at, skipped from then on), with one log line. */
static void move_aside(fr_job_queue *q, const char *name, const char *why)
{
    char bad[300];
    snprintf(bad, sizeof bad, "%s.bad", name);
    if (renameat(q->jobs_fd, name, q->jobs_fd, bad) != 0)
        fr_warn("filmrestored", "%s/jobs/%s: %s; cannot move it aside (%s), ignored", q->spool, name, why,
                strerror(errno));
    else
        fr_warn("filmrestored", "%s/jobs/%s: %s; moved aside to %s", q->spool, name, why, bad);
}

/* Reads one record without following a link or blocking on a FIFO: a regular file
 * of at most FR_JOB_RECORD_MAX bytes. Returns its bytes (malloc'd) or NULL with why. */
static char *read_record(fr_job_queue *q, const char *name, size_t *len, char *why, size_t wlen)
{
    int fd = openat(q->jobs_fd, name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, wlen, "cannot open it: %s", strerror(errno));
        return NULL;
    }
    struct stat sb;
    char *buf = NULL;
    if (fstat(fd, &sb) != 0)
        snprintf(why, wlen, "fstat: %s", strerror(errno));
    else if (!S_ISREG(sb.st_mode))
        snprintf(why, wlen, "not a regular file");
    else if (sb.st_size > FR_JOB_RECORD_MAX)
        snprintf(why, wlen, "%lld bytes, more than %d", (long long)sb.st_size, FR_JOB_RECORD_MAX);
    else if (!(buf = malloc((size_t)sb.st_size + 1)))
        snprintf(why, wlen, "out of memory");
    size_t n = 0;
    while (buf && n < (size_t)sb.st_size) {
        ssize_t r = read(fd, buf + n, (size_t)sb.st_size - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            snprintf(why, wlen, "read: %s", r < 0 ? strerror(errno) : "file shrank");
            free(buf);
            buf = NULL;
            break;
        }
        n += (size_t)r;
    }
    close(fd);
    *len = n;
    return buf;
}

static fr_status load(fr_job_queue *q, fr_err *err)
{
    int dfd = dup(q->jobs_fd);
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    if (!d) {
        if (dfd >= 0)
            close(dfd);
        return fr_err_set(err, FR_ERR_IO, "opendir %s/jobs: %s", q->spool, strerror(errno));
    }
    struct dirent *e;
    fr_status st = FR_OK;
    while (st == FR_OK && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (e->d_name[0] == '.' || n < 6 || strcmp(e->d_name + n - 5, ".json"))
            continue;
        char id[FR_JOB_ID_LEN], why[FR_ERR_MSG_LEN] = "";
        snprintf(id, sizeof id, "%.*s", (int)(n - 5 < sizeof id - 1 ? n - 5 : sizeof id - 1), e->d_name);
        size_t len = 0;
        char *text = read_record(q, e->d_name, &len, why, sizeof why);
        fr_job *j = NULL;
        fr_err re = {0};
        if (text && fr_job_record_parse(text, len, id, &j, &re) != FR_OK)
            snprintf(why, sizeof why, "%s", re.msg);
        free(text);
        if (!j) {
            move_aside(q, e->d_name, why);
            continue;
        }
        if (fr_job_queue_find(q, j->id)) {
            fr_job_free(j);
            continue;
        }
        if ((st = push(q, j, err)) != FR_OK)
            fr_job_free(j);
    }
    closedir(d);
    if (q->n)
        qsort(q->jobs, q->n, sizeof *q->jobs, by_seq);
    return st;
}

static fr_status mkdir_p(const char *path, fr_err *err)
{
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return fr_err_set(err, FR_ERR_IO, "mkdir %s: %s", path, strerror(errno));
    return FR_OK;
}

fr_status fr_job_queue_open(fr_job_queue **out, const char *spool, fr_err *err)
{
    *out = NULL;
    fr_job_queue *q = calloc(1, sizeof *q);
    if (!q)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    q->lock_fd = q->jobs_fd = -1;
    q->next_seq = 1;
    fr_status st = mkdir_p(spool, err);
    if (st == FR_OK && !realpath(spool, q->spool))
        st = fr_err_set(err, FR_ERR_IO, "realpath %s: %s", spool, strerror(errno));
    char path[PATH_MAX + 16];
    if (st == FR_OK) {
        snprintf(path, sizeof path, "%s/jobs", q->spool);
        st = mkdir_p(path, err);
    }
    if (st == FR_OK) {
        snprintf(path, sizeof path, "%s/logs", q->spool);
        st = mkdir_p(path, err);
    }
    if (st == FR_OK) {
        snprintf(path, sizeof path, "%s/lock", q->spool);
        q->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (q->lock_fd < 0)
            st = fr_err_set(err, FR_ERR_IO, "open %s: %s", path, strerror(errno));
        else if (flock(q->lock_fd, LOCK_EX | LOCK_NB) != 0)
            st = fr_err_set(err, FR_ERR_IO, "spool %s is in use by another filmrestored", q->spool);
    }
    if (st == FR_OK) {
        snprintf(path, sizeof path, "%s/jobs", q->spool);
        q->jobs_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (q->jobs_fd < 0)
            st = fr_err_set(err, FR_ERR_IO, "open %s: %s", path, strerror(errno));
    }
    if (st == FR_OK)
        st = load(q, err);
    if (st != FR_OK) {
        fr_job_queue_free(q);
        return st;
    }
    *out = q;
    return FR_OK;
}

void fr_job_queue_free(fr_job_queue *q)
{
    if (!q)
        return;
    for (size_t i = 0; i < q->n; i++)
        fr_job_free(q->jobs[i]);
    free(q->jobs);
    if (q->jobs_fd >= 0)
        close(q->jobs_fd);
    if (q->lock_fd >= 0)
        close(q->lock_fd);
    free(q);
}

fr_status fr_job_queue_save(fr_job_queue *q, const fr_job *j, fr_err *err)
{
    json_t *r = fr_job_record_json(j);
    char *text = r ? json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(r);
    if (!text)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    char tmp[64], name[64];
    snprintf(tmp, sizeof tmp, ".%s.tmp", j->id);
    snprintf(name, sizeof name, "%s.json", j->id);
    fr_status st = FR_OK;
    int fd = openat(q->jobs_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        st = fr_err_set(err, FR_ERR_IO, "open %s/jobs/%s: %s", q->spool, tmp, strerror(errno));
        goto out;
    }
    size_t len = strlen(text), off = 0;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            st = fr_err_set(err, FR_ERR_IO, "write %s/jobs/%s: %s", q->spool, tmp, strerror(errno));
            break;
        }
        off += (size_t)w;
    }
    if (st == FR_OK && (write(fd, "\n", 1) != 1 || fsync(fd) != 0))
        st = fr_err_set(err, FR_ERR_IO, "fsync %s/jobs/%s: %s", q->spool, tmp, strerror(errno));
    if (close(fd) != 0 && st == FR_OK)
        st = fr_err_set(err, FR_ERR_IO, "close %s/jobs/%s: %s", q->spool, tmp, strerror(errno));
    if (st == FR_OK && renameat(q->jobs_fd, tmp, q->jobs_fd, name) != 0)
        st = fr_err_set(err, FR_ERR_IO, "rename to %s/jobs/%s: %s", q->spool, name, strerror(errno));
    if (st == FR_OK && fsync(q->jobs_fd) != 0)
        st = fr_err_set(err, FR_ERR_IO, "fsync %s/jobs: %s", q->spool, strerror(errno));
    if (st != FR_OK)
        unlinkat(q->jobs_fd, tmp, 0);
out:
    free(text);
    return st;
}

fr_status fr_job_queue_add(fr_job_queue *q, json_t *spec, long priority, const char *owner, fr_job **out,
                           fr_err *err)
{
    *out = NULL;
    if (q->next_seq > FR_JOB_SEQ_MAX) {
        json_decref(spec);
        return fr_err_set(err, FR_ERR_JOB, "the spool's job ids are used up (j%ld was the last)", FR_JOB_SEQ_MAX);
    }
    fr_job *j = calloc(1, sizeof *j);
    if (!j) {
        json_decref(spec);
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    }
    j->spec = spec;
    snprintf(j->owner, sizeof j->owner, "%s", owner ? owner : "");
    j->seq = q->next_seq;
    snprintf(j->id, sizeof j->id, "j%06ld", j->seq);
    j->state = FR_JOB_QUEUED;
    j->priority = priority;
    j->total = -1;
    j->eta = -1;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    j->submitted = (double)ts.tv_sec + ts.tv_nsec * 1e-9;
    fr_status st = fr_job_queue_save(q, j, err);
    if (st == FR_OK)
        st = push(q, j, err);
    if (st != FR_OK) {
        char name[64];
        snprintf(name, sizeof name, "%s.json", j->id);
        unlinkat(q->jobs_fd, name, 0);
        fr_job_free(j);
        return st;
    }
    *out = j;
    return FR_OK;
}

fr_job *fr_job_queue_find(fr_job_queue *q, const char *id)
{
    if (!fr_job_id_valid(id))
        return NULL;
    long seq = strtol(id + 1, NULL, 10);
    /* records are sorted by seq: binary search */
    size_t lo = 0, hi = q->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (q->jobs[mid]->seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < q->n && q->jobs[lo]->seq == seq && !strcmp(q->jobs[lo]->id, id))
        return q->jobs[lo];
    return NULL;
}

size_t fr_job_queue_count(const fr_job_queue *q) { return q->n; }
fr_job *fr_job_queue_at(fr_job_queue *q, size_t i) { return i < q->n ? q->jobs[i] : NULL; }
const char *fr_job_queue_spool(const fr_job_queue *q) { return q->spool; }

fr_job *fr_job_queue_next(fr_job_queue *q)
{
    fr_job *best = NULL;
    for (size_t i = 0; i < q->n; i++) {
        fr_job *j = q->jobs[i];
        if (j->state == FR_JOB_QUEUED && (!best || j->priority > best->priority))
            best = j;
    }
    return best;
}

void fr_job_queue_log_path(const fr_job_queue *q, const fr_job *j, char *buf, size_t len)
{
    snprintf(buf, len, "%s/logs/%s.log", q->spool, j->id);
}

json_t *fr_job_to_json(const fr_job_queue *q, const fr_job *j, int full)
{
    char log[PATH_MAX + 64];
    fr_job_queue_log_path(q, j, log, sizeof log);
    json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:f, s:f, s:I, s:i}", "id", j->id, "state",
                          fr_job_state_name(j->state), "stage", j->stage, "done", (json_int_t)j->done,
                          "total", (json_int_t)j->total, "fps", j->fps, "eta", j->eta, "priority",
                          (json_int_t)j->priority, "attempts", j->attempts);
    if (!o || !full)
        return o;
    if (json_object_set_new(o, "log", json_string(log)) != 0 ||
        json_object_set_new(o, "spec", json_deep_copy(j->spec)) != 0 ||
        json_object_set_new(o, "submitted", json_real(j->submitted)) != 0 ||
        json_object_set_new(o, "started", json_real(j->started)) != 0 ||
        json_object_set_new(o, "finished", json_real(j->finished)) != 0) {
        json_decref(o);
        return NULL;
    }
    if (fr_job_state_final(j->state) &&
        (json_object_set_new(o, "exit_code", json_integer(j->exit_code)) != 0 ||
         (j->error[0] && json_object_set_new(o, "error", json_string(j->error)) != 0))) {
        json_decref(o);
        return NULL;
    }
    return o;
}
