/* job_ops.c: request ops and the job lifecycle for filmrestored (job_ops.h). */
#include "job_ops.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "fr_confine.h"
#include "fr_version.h"
#include "fr_log.h"
#include "job_request.h"
#include "job_spec.h"

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* JSON strings must be UTF-8: other bytes of a message become '?'. */
static void ascii(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80 || (unsigned char)*s < 0x20)
            *s = '?';
}

static char *dump(json_t *o)
{
    char *t = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return t;
}

char *fr_job_ops_error(const char *msg, const char *id)
{
    char m[FR_ERR_MSG_LEN];
    snprintf(m, sizeof m, "%s", msg);
    ascii(m);
    json_t *o = json_pack("{s:b, s:s}", "ok", 0, "error", m);
    if (o && id && id[0])
        json_object_set_new(o, "id", json_string(id));
    return dump(o);
}

static void log_line(fr_job_ops *ops, const fr_job *j, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void log_line(fr_job_ops *ops, const fr_job *j, const char *fmt, ...)
{
    char path[PATH_MAX + 64];
    fr_job_queue_log_path(ops->q, j, path, sizeof path);
    FILE *f = fopen(path, "a");
    if (!f)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("[filmrestored] ", f);
    vfprintf(f, fmt, ap);
    fputc('\n', f);
    va_end(ap);
    fclose(f);
}

/* --runner: local, or slurm with its batch script (default: cluster/ beside build/). */
static fr_status pick_runner(fr_job_ops *ops, const fr_job_server_opts *o, fr_err *err)
{
    if (!o->runner || !strcmp(o->runner, "local")) {
        if (o->sbatch_script || o->sbatch_opt.n)
            return fr_err_set(err, FR_ERR_ARG, "--sbatch-script and --sbatch-option need --runner slurm");
        ops->runner = fr_job_runner_local();
        return FR_OK;
    }
    if (strcmp(o->runner, "slurm"))
        return fr_err_set(err, FR_ERR_ARG, "--runner: '%s' is not local or slurm", o->runner);
    char guess[PATH_MAX + 64];
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", ops->exe);
    snprintf(guess, sizeof guess, "%s/../cluster/filmrestore.sbatch", dirname(dir));
    const char *script = o->sbatch_script ? o->sbatch_script : guess;
    if (!realpath(script, ops->sbatch_script))
        return fr_err_set(err, FR_ERR_ARG, "--sbatch-script %s: %s", script, strerror(errno));
    for (int i = 0; i < o->sbatch_opt.n; i++)
        ops->sbatch_opts[i] = o->sbatch_opt.v[i];
    ops->sbatch_opts[o->sbatch_opt.n] = NULL;
    ops->runner = fr_job_runner_slurm(ops->sbatch_script, ops->sbatch_opts);
    return FR_OK;
}

fr_status fr_job_ops_init(fr_job_ops *ops, const fr_job_server_opts *o, fr_err *err)
{
    ops->o = o;
    if (o->allow_root.n == 0)
        return fr_err_set(err, FR_ERR_ARG, "give at least one --allow-root DIR (where inputs and outputs may be)");
    for (int i = 0; i < o->allow_root.n; i++) {
        if (!realpath(o->allow_root.v[i], ops->roots[i]))
            return fr_err_set(err, FR_ERR_ARG, "--allow-root %s: %s", o->allow_root.v[i], strerror(errno));
        ops->root_ptrs[i] = ops->roots[i];
    }
    ops->n_roots = o->allow_root.n;
    if (o->filmrestore) {
        if (!realpath(o->filmrestore, ops->exe))
            return fr_err_set(err, FR_ERR_ARG, "--filmrestore %s: %s", o->filmrestore, strerror(errno));
    } else {
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n <= 0)
            return fr_err_set(err, FR_ERR_IO, "readlink /proc/self/exe: %s", strerror(errno));
        self[n] = 0;
        snprintf(ops->exe, sizeof ops->exe, "%.*s/filmrestore", PATH_MAX - 16, dirname(self));
    }
    if (access(ops->exe, X_OK) != 0)
        return fr_err_set(err, FR_ERR_ARG, "%s: %s (see --filmrestore)", ops->exe, strerror(errno));
    fr_status st = pick_runner(ops, o, err);
    if (st != FR_OK)
        return st;
    return fr_job_queue_open(&ops->q, o->spool, err);
}

void fr_job_ops_free(fr_job_ops *ops) { fr_job_queue_free(ops->q); }

void fr_job_ops_publish(fr_job_ops *ops, fr_job *j)
{
    if (!ops->pub)
        return;
    char *t = dump(fr_job_to_json(ops->q, j, 0));
    if (t) {
        zmq_send(ops->pub, j->id, strlen(j->id), ZMQ_SNDMORE | ZMQ_DONTWAIT);
        zmq_send(ops->pub, t, strlen(t), ZMQ_DONTWAIT);
    }
    free(t);
    j->last_event = mono();
}

static void save(fr_job_ops *ops, fr_job *j)
{
    fr_err e = {0};
    if (fr_job_queue_save(ops->q, j, &e) != FR_OK)
        fr_warn("filmrestored", "%s: %s", j->id, e.msg);
}

void fr_job_ops_recover(fr_job_ops *ops)
{
    for (size_t i = 0; i < fr_job_queue_count(ops->q); i++) {
        fr_job *j = fr_job_queue_at(ops->q, i);
        if (j->state != FR_JOB_RUNNING)
            continue;
        if (j->runner_ref[0])
            ops->runner->reap_stale(ops->runner->ctx, j->runner_ref);
        j->runner_ref[0] = 0;
        if (j->cancel_requested) {
            j->state = FR_JOB_CANCELLED;
            j->exit_code = 130;
            j->finished = wall();
            log_line(ops, j, "%s: cancelled (its run was stopped at the daemon's restart)", j->id);
        } else {
            j->state = FR_JOB_QUEUED;
            log_line(ops, j, "%s: requeued at the daemon's restart; it resumes through its store", j->id);
        }
        save(ops, j);
        fr_info("filmrestored", "%s: %s after a restart", j->id, fr_job_state_name(j->state));
    }
}

/* The last "filmrestore: ..." line of the job's log. */
static void last_error(fr_job_ops *ops, const fr_job *j, char *out, size_t len)
{
    char path[PATH_MAX + 64];
    fr_job_queue_log_path(ops->q, j, path, sizeof path);
    out[0] = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    if (fseek(f, 0, SEEK_END) == 0) {
        long size = ftell(f);
        fseek(f, size > 65536 ? size - 65536 : 0, SEEK_SET);
    }
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (!strncmp(line, "filmrestore: ", 13)) {
            size_t n = strlen(line + 13);
            n = n < len - 1 ? n : len - 1;
            memcpy(out, line + 13, n);
            out[n] = 0;
        }
    }
    fclose(f);
    ascii(out);
}

/* Returns 0 when the job could not leave the queue (it stays queued). */
static int start_job(fr_job_ops *ops, fr_job *j)
{
    char **argv = NULL;
    fr_err e = {0};
    /* the roots again, now: a folder swapped for a link since the submit (or a record
     * written by hand) must not lead the run outside them */
    fr_job_spec now;
    fr_job_roots roots = {ops->root_ptrs, ops->n_roots};
    if (fr_job_spec_parse(j->spec, &roots, &now, &e) != FR_OK) {
        j->state = FR_JOB_FAILED;
        j->exit_code = 2;
        j->finished = wall();
        snprintf(j->error, sizeof j->error, "job: %.500s", e.msg);
        ascii(j->error);
        log_line(ops, j, "%s: not started: %s", j->id, j->error);
        save(ops, j);
        fr_info("filmrestored", "%s: not started: %s", j->id, j->error);
        fr_job_ops_publish(ops, j);
        return 1;
    }
    if (fr_job_spec_argv(now.canon, ops->exe, &argv, &e) != FR_OK) {
        fr_job_spec_clear(&now);
        fr_warn("filmrestored", "%s: %s", j->id, e.msg);
        return 0; /* out of memory: it stays queued */
    }
    fr_job_spec_clear(&now);
    j->state = FR_JOB_RUNNING;
    j->attempts++;
    j->started = wall();
    j->runner_ref[0] = 0;
    j->stage[0] = 0;
    j->done = 0;
    j->total = -1;
    j->fps = 0;
    j->eta = -1;
    if (fr_job_queue_save(ops->q, j, &e) != FR_OK) { /* not on disk: do not start it */
        fr_warn("filmrestored", "%s: %s; left queued", j->id, e.msg);
        j->state = FR_JOB_QUEUED;
        j->attempts--;
        fr_job_argv_free(argv);
        return 0;
    }
    char env_ep[PATH_MAX + 64], env_id[64], log[PATH_MAX + 64];
    snprintf(env_ep, sizeof env_ep, "FILMRESTORE_JOB_PROGRESS=%s", ops->progress_ep);
    snprintf(env_id, sizeof env_id, "FILMRESTORE_JOB_ID=%s", j->id);
    char env_roots[sizeof ops->roots + 64];
    size_t off = (size_t)snprintf(env_roots, sizeof env_roots, "%s=", FR_CONFINE_ENV);
    for (int i = 0; i < ops->n_roots; i++)
        off += (size_t)snprintf(env_roots + off, sizeof env_roots - off, "%s%s", i ? "\n" : "", ops->roots[i]);
    char *env[] = {env_ep, env_id, env_roots, NULL};
    fr_job_queue_log_path(ops->q, j, log, sizeof log);
    log_line(ops, j, "%s: attempt %d on the %s runner:", j->id, j->attempts, ops->runner->name);
    {
        FILE *f = fopen(log, "a");
        if (f) {
            for (char **a = argv; *a; a++)
                fprintf(f, "%s%s", a == argv ? "[filmrestored]   " : " ", *a);
            fputc('\n', f);
            fclose(f);
        }
    }
    fr_job_launch l = {argv, env, log};
    fr_status st = ops->runner->start(ops->runner->ctx, &l, j->runner_ref, &e);
    fr_job_argv_free(argv);
    if (st != FR_OK) {
        j->state = FR_JOB_FAILED;
        j->exit_code = 1;
        j->finished = wall();
        snprintf(j->error, sizeof j->error, "%s", e.msg);
        ascii(j->error);
    } else {
        ops->running++;
    }
    save(ops, j);
    fr_info("filmrestored", "%s: %s (attempt %d)", j->id, st == FR_OK ? "started" : e.msg, j->attempts);
    fr_job_ops_publish(ops, j);
    return 1;
}

static void finish_job(fr_job_ops *ops, fr_job *j, int code)
{
    ops->running--;
    j->exit_code = code;
    j->finished = wall();
    j->runner_ref[0] = 0;
    j->state = code == 0 ? FR_JOB_DONE : j->cancel_requested ? FR_JOB_CANCELLED : FR_JOB_FAILED;
    if (code != 0)
        last_error(ops, j, j->error, sizeof j->error);
    if (j->state == FR_JOB_FAILED && !j->error[0])
        snprintf(j->error, sizeof j->error, "the run exited with status %d; see the log", code);
    if (j->state == FR_JOB_DONE && j->total >= 0)
        j->done = j->total;
    log_line(ops, j, "%s: %s (exit %d)", j->id, fr_job_state_name(j->state), code);
    save(ops, j);
    fr_info("filmrestored", "%s: %s (exit %d)", j->id, fr_job_state_name(j->state), code);
    fr_job_ops_publish(ops, j);
}

/* The two files a job writes: its output, and its store ("store", else OUTPUT.h5 as run does). */
static void targets_of(const fr_job *j, char out[2][PATH_MAX + 8])
{
    const char *output = json_string_value(json_object_get(j->spec, "output"));
    const char *store = json_string_value(json_object_get(j->spec, "store"));
    snprintf(out[0], PATH_MAX + 8, "%s", output ? output : "");
    if (store)
        snprintf(out[1], PATH_MAX + 8, "%s", store);
    else
        snprintf(out[1], PATH_MAX + 8, "%.*s.h5", PATH_MAX, out[0]);
}

/* One file, named two ways: the same name, or the same name in the same folder (by the
 * folder's device and inode, as the output's lock is taken: fr_output_lock.h). */
static int same_target(const char *a, const char *b)
{
    if (!a[0] || !b[0])
        return 0;
    if (!strcmp(a, b))
        return 1;
    const char *sa = strrchr(a, '/'), *sb = strrchr(b, '/');
    if (!sa || !sb || strcmp(sa, sb))
        return 0;
    char da[PATH_MAX], db[PATH_MAX];
    snprintf(da, sizeof da, "%.*s/", (int)(sa - a), a);
    snprintf(db, sizeof db, "%.*s/", (int)(sb - b), b);
    struct stat x, y;
    return stat(da, &x) == 0 && stat(db, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

/* The queued job to start next: highest priority, then oldest, among those whose output
 * and store no running job writes (two runs on one store would corrupt it; two on one
 * output would each report success, one replacing the other). */
static fr_job *next_job(fr_job_ops *ops)
{
    static char running[64][2][PATH_MAX + 8]; /* the loop's thread only */
    int nr = 0;
    size_t n = fr_job_queue_count(ops->q);
    for (size_t k = 0; k < n && nr < 64 && nr < ops->running; k++) {
        fr_job *r = fr_job_queue_at(ops->q, k);
        if (r->state == FR_JOB_RUNNING)
            targets_of(r, running[nr++]);
    }
    fr_job *best = NULL;
    for (size_t i = 0; i < n; i++) {
        fr_job *j = fr_job_queue_at(ops->q, i);
        if (j->state != FR_JOB_QUEUED || (best && j->priority <= best->priority))
            continue;
        static char mine[2][PATH_MAX + 8];
        targets_of(j, mine);
        int busy = 0;
        for (int k = 0; k < nr && !busy; k++)
            for (int a = 0; a < 2 && !busy; a++)
                for (int b = 0; b < 2 && !busy; b++)
                    busy = same_target(mine[a], running[k][b]);
        if (!busy)
            best = j;
    }
    return best;
}

void fr_job_ops_tick(fr_job_ops *ops, double now)
{
    int republish = now - ops->last_republish >= 1.0;
    if (republish)
        ops->last_republish = now;
    for (size_t i = 0; ops->running > 0 && i < fr_job_queue_count(ops->q); i++) {
        fr_job *j = fr_job_queue_at(ops->q, i);
        if (j->state != FR_JOB_RUNNING)
            continue;
        int code = 0;
        if (ops->runner->poll(ops->runner->ctx, j->runner_ref, &code)) {
            finish_job(ops, j, code);
            continue;
        }
        if (j->cancel_sent > 0 && now - j->cancel_sent >= FR_JOB_CANCEL_GRACE) { /* still there: escalate */
            if (ops->runner->kill)
                ops->runner->kill(ops->runner->ctx, j->runner_ref);
            else
                ops->runner->cancel(ops->runner->ctx, j->runner_ref);
            log_line(ops, j, "%s: still running %.0f s after the cancel: killed", j->id, FR_JOB_CANCEL_GRACE);
            j->cancel_sent = now;
        }
        if (republish && now - j->last_event >= 1.0)
            fr_job_ops_publish(ops, j);
    }
    fr_job *next;
    /* a job that cannot be written stays queued: try again next tick, not in a loop */
    while (ops->running < ops->o->max_running && (next = next_job(ops)) && start_job(ops, next))
        ;
}

void fr_job_ops_shutdown(fr_job_ops *ops)
{
    if (!ops->q)
        return;
    size_t n = fr_job_queue_count(ops->q);
    for (size_t i = 0; i < n; i++) {
        fr_job *j = fr_job_queue_at(ops->q, i);
        if (j->state == FR_JOB_RUNNING && j->runner_ref[0])
            ops->runner->cancel(ops->runner->ctx, j->runner_ref);
    }
    double t0 = mono();
    int left = ops->running, killed = 0;
    while (left > 0 && mono() - t0 < 10) {
        if (!killed && mono() - t0 >= FR_JOB_CANCEL_GRACE && ops->runner->kill) {
            for (size_t i = 0; i < n; i++) {
                fr_job *j = fr_job_queue_at(ops->q, i);
                if (j->state == FR_JOB_RUNNING && j->runner_ref[0])
                    ops->runner->kill(ops->runner->ctx, j->runner_ref);
            }
            killed = 1;
        }
        left = 0;
        for (size_t i = 0; i < n; i++) {
            fr_job *j = fr_job_queue_at(ops->q, i);
            int code;
            if (j->state == FR_JOB_RUNNING && j->runner_ref[0]) {
                if (ops->runner->poll(ops->runner->ctx, j->runner_ref, &code))
                    j->runner_ref[0] = 0; /* stopped; the record still says running */
                else
                    left++;
            }
        }
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
    }
    for (size_t i = 0; i < n; i++) {
        fr_job *j = fr_job_queue_at(ops->q, i);
        if (j->state == FR_JOB_RUNNING && j->runner_ref[0])
            ops->runner->reap_stale(ops->runner->ctx, j->runner_ref);
    }
}

static char *ok_job(fr_job_ops *ops, fr_job *j, int full)
{
    json_t *o = json_pack("{s:b, s:s, s:o}", "ok", 1, "id", j->id, "job", fr_job_to_json(ops->q, j, full));
    char *t = dump(o);
    return t ? t : fr_job_ops_error("out of memory", j->id);
}

/* Who sent a request: under CURVE its key (the message's User-Id), and whether that key
 * is an admin's; without CURVE (loopback) every client is everyone's (docs/jobs.md). */
typedef struct {
    const char *key; /* NULL without CURVE */
    int all;         /* sees and cancels every job */
} client;

static int visible(const client *c, const fr_job *j) { return c->all || !strcmp(j->owner, c->key); }

static char *op_submit(fr_job_ops *ops, const fr_job_request *req, const client *c)
{
    fr_job_spec spec;
    fr_err e = {0};
    fr_job_roots roots = {ops->root_ptrs, ops->n_roots};
    if (fr_job_spec_parse(req->job, &roots, &spec, &e) != FR_OK) {
        char m[FR_ERR_MSG_LEN + 8];
        snprintf(m, sizeof m, "job: %s", e.msg);
        return fr_job_ops_error(m, NULL);
    }
    fr_job *j = NULL;
    json_t *canon = spec.canon;
    spec.canon = NULL;
    if (fr_job_queue_add(ops->q, canon, spec.priority, c->key, &j, &e) != FR_OK)
        return fr_job_ops_error(e.msg, NULL);
    fr_job_ops_publish(ops, j);
    return ok_job(ops, j, 1);
}

static char *op_cancel(fr_job_ops *ops, fr_job *j)
{
    if (fr_job_state_final(j->state)) {
        char m[128];
        snprintf(m, sizeof m, "job %s is already %s", j->id, fr_job_state_name(j->state));
        return fr_job_ops_error(m, j->id);
    }
    if (j->state == FR_JOB_QUEUED) {
        j->state = FR_JOB_CANCELLED;
        j->exit_code = 130;
        j->finished = wall();
    } else {
        j->cancel_requested = 1;
        j->cancel_sent = mono();
        ops->runner->cancel(ops->runner->ctx, j->runner_ref);
    }
    fr_err e = {0};
    if (fr_job_queue_save(ops->q, j, &e) != FR_OK)
        return fr_job_ops_error(e.msg, j->id);
    log_line(ops, j, "%s: cancel requested", j->id);
    fr_job_ops_publish(ops, j);
    return ok_job(ops, j, 0);
}

static char *op_list(fr_job_ops *ops, const client *c)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < fr_job_queue_count(ops->q); i++)
        if (visible(c, fr_job_queue_at(ops->q, i)) &&
            json_array_append_new(a, fr_job_to_json(ops->q, fr_job_queue_at(ops->q, i), 0)) != 0) {
            json_decref(a);
            a = NULL;
        }
    char *t = a ? dump(json_pack("{s:b, s:o}", "ok", 1, "jobs", a)) : NULL;
    return t ? t : fr_job_ops_error("out of memory", NULL);
}

static size_t count_visible(fr_job_ops *ops, const client *c)
{
    size_t n = 0;
    for (size_t i = 0; i < fr_job_queue_count(ops->q); i++)
        n += visible(c, fr_job_queue_at(ops->q, i)) != 0;
    return n;
}

char *fr_job_ops_handle(fr_job_ops *ops, const char *buf, size_t len, const char *key)
{
    fr_job_request req;
    fr_err e = {0};
    if (fr_job_request_parse(buf, len, &req, &e) != FR_OK)
        return fr_job_ops_error(e.msg, req.id);
    client c = {key, !key || fr_job_zap_is_admin(ops->zap, key)};
    char *reply = NULL;
    fr_job *j = NULL;
    /* another client's job is answered as no job at all: its existence is not told either */
    if ((req.op == FR_JOB_OP_STATUS || req.op == FR_JOB_OP_CANCEL) &&
        (!(j = fr_job_queue_find(ops->q, req.id)) || !visible(&c, j))) {
        char m[96];
        snprintf(m, sizeof m, "no job %s", req.id);
        reply = fr_job_ops_error(m, req.id);
    } else if (req.op == FR_JOB_OP_SUBMIT) {
        reply = op_submit(ops, &req, &c);
    } else if (req.op == FR_JOB_OP_STATUS) {
        reply = ok_job(ops, j, 1);
    } else if (req.op == FR_JOB_OP_CANCEL) {
        reply = op_cancel(ops, j);
    } else if (req.op == FR_JOB_OP_LIST) {
        reply = op_list(ops, &c);
    } else {
        reply = dump(json_pack("{s:b, s:s, s:s, s:s, s:I, s:i}", "ok", 1, "service", "filmrestored", "version",
                               FR_VERSION, "events", ops->events_ep, "jobs", (json_int_t)count_visible(ops, &c),
                               "running", ops->running));
    }
    fr_job_request_clear(&req);
    return reply;
}
