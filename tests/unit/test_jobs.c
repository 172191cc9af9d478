/* test_jobs.c: the option-table engine, job requests and specs, and the
 * persistent queue (jobs/). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fr_opts.h"
#include "job_queue.h"
#include "job_request.h"
#include "job_server.h"
#include "job_spec.h"
#include "run_settings.h"

Test(opts, run_takes_the_detector_options)
{
    fr_run_settings s;
    fr_run_settings_defaults(&s);
    char *argv[] = {"run", "--cut-threshold", "0.5", "--min-shot=9", "-b", "4", "in.mkv", "-o", "o.mkv", NULL};
    fr_err e = {0};
    cr_assert_eq(fr_run_settings_parse(&s, 9, argv, &e), FR_OK, "%s", e.msg);
    cr_assert_float_eq(s.shots.cut_threshold, 0.5f, 1e-6);
    cr_assert_eq(s.shots.min_shot, 9);
    cr_assert_eq(s.batch, 4);
    cr_assert_str_eq(s.input, "in.mkv");
    fr_shots_opts d;
    fr_shots_defaults(&d);
    cr_assert_eq(s.shots.grid, d.grid, "an untouched detector option keeps its default");
    fr_run_settings_defaults(&s);
    char *bad[] = {"run", "--min-shot", "2.5", "in.mkv", "-o", "o.mkv", NULL};
    cr_assert_eq(fr_run_settings_parse(&s, 6, bad, &e), FR_ERR_ARG);
    cr_assert(strstr(e.msg, "--min-shot"), "%s", e.msg);
}

Test(opts, list_rows_repeat)
{
    typedef struct {
        fr_opt_list roots;
    } t;
    static const fr_opt rows[] = {{"root", 0, FR_OPT_LIST, offsetof(t, roots), NULL, 0, 0, "a root"}};
    fr_opt_group g = {rows, 1, 0, NULL};
    t v = {0};
    char *argv[] = {"x", "--root", "/a", "--root=/b", NULL};
    char *pos[1];
    int n = 0;
    fr_err e = {0};
    cr_assert_eq(fr_opts_getopt(&g, 1, &v, 4, argv, pos, 0, &n, &e), FR_OK, "%s", e.msg);
    cr_assert_eq(v.roots.n, 2);
    cr_assert_str_eq(v.roots.v[1], "/b");
}

Test(jobs, request_envelope)
{
    fr_job_request r;
    fr_err e = {0};
    const char *ok = "{\"op\":\"cancel\",\"id\":\"j000012\"}";
    cr_assert_eq(fr_job_request_parse(ok, strlen(ok), &r, &e), FR_OK, "%s", e.msg);
    cr_assert_eq(r.op, FR_JOB_OP_CANCEL);
    cr_assert_str_eq(r.id, "j000012");
    fr_job_request_clear(&r);
    const char *bad[] = {"", "{", "[]", "{\"op\":\"list\",\"x\":1}", "{\"op\":\"status\",\"id\":\"x1\"}",
                         "{\"op\":\"submit\",\"job\":3}", "{\"op\":\"nope\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_neq(fr_job_request_parse(bad[i], strlen(bad[i]), &r, &e), FR_OK, "accepted %s", bad[i]);
        cr_assert(e.msg[0]);
    }
    cr_assert(fr_job_id_valid("j000001") && !fr_job_id_valid("j") && !fr_job_id_valid("k1") &&
              !fr_job_id_valid("j12345678901234"));
}

/* A spec becomes argv that `run`'s own parser reads back to the same settings. */
Test(jobs, spec_round_trips_through_run_argv)
{
    char dir[] = "/tmp/fr-test-jobs.XXXXXX";
    cr_assert(mkdtemp(dir));
    char film[256], spec_text[1024];
    snprintf(film, sizeof film, "%s/film.mkv", dir);
    close(open(film, O_WRONLY | O_CREAT, 0600));
    snprintf(spec_text, sizeof spec_text,
             "{\"input\":\"%s\",\"output\":\"%s/o.mkv\",\"render-factor\":8,\"smooth-strength\":0.25,"
             "\"overwrite\":true,\"cut-threshold\":0.5,\"priority\":-3,\"codec\":\"ffv1\","
             "\"restore\":\"dust,regrain\",\"dust-strength\":0.75}",
             film, dir);
    json_t *job = json_loads(spec_text, 0, NULL);
    const char *roots[] = {dir};
    fr_job_roots r = {roots, 1};
    fr_job_spec spec;
    fr_err e = {0};
    cr_assert_eq(fr_job_spec_parse(job, &r, &spec, &e), FR_OK, "%s", e.msg);
    cr_assert_eq(spec.priority, -3);
    char **argv = NULL;
    cr_assert_eq(fr_job_spec_argv(spec.canon, "/x/filmrestore", &argv, &e), FR_OK);
    int argc = 0;
    while (argv[argc])
        argc++;
    fr_run_settings back;
    fr_run_settings_defaults(&back);
    cr_assert_eq(fr_run_settings_parse(&back, argc - 1, argv + 1, &e), FR_OK, "%s", e.msg);
    cr_assert_str_eq(back.input, spec.s.input);
    cr_assert_str_eq(back.output, spec.s.output);
    cr_assert_str_eq(back.codec, "ffv1");
    cr_assert_eq(back.render_factor, 8);
    cr_assert_eq(back.overwrite, 1);
    cr_assert_eq(back.stages.smooth_strength, spec.s.stages.smooth_strength);
    cr_assert_str_eq(back.stages.restore, "dust,regrain"); /* the stage table's keys, as on the command line */
    cr_assert_eq(back.stages.dust_strength, 0.75);
    cr_assert_eq(back.shots.cut_threshold, spec.s.shots.cut_threshold);
    cr_assert_eq(memcmp(&back.shots, &spec.s.shots, sizeof back.shots), 0);
    fr_job_argv_free(argv);
    fr_job_spec_clear(&spec);
    /* outside the root, unknown and mistyped fields */
    const char *bad[] = {"{\"input\":\"/etc/hostname\",\"output\":\"%s/o.mkv\"}",
                         "{\"input\":\"%s/film.mkv\",\"output\":\"/o.mkv\"}",
                         "{\"input\":\"%s/film.mkv\",\"output\":\"x.mkv\"}",
                         "{\"input\":\"%s/film.mkv\",\"batch\":true}",
                         "{\"input\":\"%s/film.mkv\",\"colour\":1}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(spec_text, sizeof spec_text, bad[i], dir);
        json_t *b = json_loads(spec_text, 0, NULL);
        cr_assert(b);
        cr_assert_neq(fr_job_spec_parse(b, &r, &spec, &e), FR_OK, "accepted %s", spec_text);
        json_decref(b);
    }
    /* a hostfile says where mpirun goes: it must lie under a root like every path; the
     * launcher is checked as run checks it */
    const char *bad2[][2] = {{"\"hostfile\":\"/etc/hostname\"", "hostfile"}, {"\"launcher\":\"ssh\"", "launcher"}};
    for (size_t i = 0; i < sizeof bad2 / sizeof bad2[0]; i++) {
        snprintf(spec_text, sizeof spec_text, "{\"input\":\"%s/film.mkv\",\"output\":\"%s/o.mkv\",%s}", dir, dir, bad2[i][0]);
        json_t *b = json_loads(spec_text, 0, NULL);
        cr_assert(b);
        cr_assert_neq(fr_job_spec_parse(b, &r, &spec, &e), FR_OK, "accepted %s", spec_text);
        cr_assert(strstr(e.msg, bad2[i][1]), "%s: %s", spec_text, e.msg);
        json_decref(b);
    }
    json_decref(job);
    unlink(film);
    rmdir(dir);
}

Test(jobs, queue_persists_and_locks)
{
    char dir[] = "/tmp/fr-test-queue.XXXXXX";
    cr_assert(mkdtemp(dir));
    fr_job_queue *q = NULL, *q2 = NULL;
    fr_err e = {0};
    cr_assert_eq(fr_job_queue_open(&q, dir, &e), FR_OK, "%s", e.msg);
    cr_assert_neq(fr_job_queue_open(&q2, dir, &e), FR_OK, "a second daemon took the spool");
    fr_job *a = NULL, *b = NULL;
    cr_assert_eq(fr_job_queue_add(q, json_pack("{s:s, s:s}", "input", "/x", "output", "/x.mkv"), 0, NULL, &a, &e), FR_OK);
    cr_assert_eq(fr_job_queue_add(q, json_pack("{s:s, s:s}", "input", "/y", "output", "/y.mkv"), 7, NULL, &b, &e), FR_OK);
    cr_assert_str_eq(a->id, "j000001");
    cr_assert_eq(fr_job_queue_next(q), b, "the higher priority goes first");
    b->state = FR_JOB_DONE;
    cr_assert_eq(fr_job_queue_save(q, b, &e), FR_OK);
    fr_job_queue_free(q);
    cr_assert_eq(fr_job_queue_open(&q, dir, &e), FR_OK, "%s", e.msg);
    cr_assert_eq(fr_job_queue_count(q), 2);
    cr_assert_eq(fr_job_queue_find(q, "j000002")->state, FR_JOB_DONE);
    cr_assert_eq(fr_job_queue_next(q), fr_job_queue_find(q, "j000001"));
    fr_job *c = NULL;
    cr_assert_eq(fr_job_queue_add(q, json_pack("{s:s, s:s}", "input", "/z", "output", "/z.mkv"), 0, NULL, &c, &e), FR_OK);
    cr_assert_str_eq(c->id, "j000003", "ids continue after a restart");
    fr_job_queue_free(q);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

/* Spool records are untrusted: each bad one is moved aside (ID.json.bad) and the rest load. */
Test(jobs, spool_records_are_checked)
{
    char dir[] = "/tmp/fr-test-spool.XXXXXX";
    cr_assert(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/jobs", dir);
    cr_assert_eq(mkdir(path, 0700), 0);
    const char *good = "{\"id\":\"j000002\",\"state\":\"queued\",\"spec\":{\"input\":\"/a.mkv\",\"output\":\"/b.mkv\"},"
                       "\"priority\":0,\"attempts\":0,\"exit_code\":0,\"error\":\"\",\"runner_ref\":\"\",\"submitted\":1,"
                       "\"started\":0,\"finished\":0,\"cancel_requested\":false}";
    static const char *const bad[][2] = {
        /* the crash of issue 24: a spec without a string input */
        {"j000003", "{\"id\":\"j000003\",\"state\":\"queued\",\"spec\":{\"output\":\"/b.mkv\"},\"priority\":0,"
                    "\"attempts\":0,\"exit_code\":0,\"error\":\"\",\"runner_ref\":\"\",\"submitted\":1,\"started\":0,"
                    "\"finished\":0,\"cancel_requested\":false}"},
        {"j000004", "{\"id\":\"j000004\",\"state\":\"queued\",\"spec\":{\"input\":7,\"output\":\"/b.mkv\"},\"priority\":0,"
                    "\"attempts\":0,\"exit_code\":0,\"error\":\"\",\"runner_ref\":\"\",\"submitted\":1,\"started\":0,"
                    "\"finished\":0,\"cancel_requested\":false}"},
        /* an id past the sequence's bound, and one that is not its file's */
        {"j9999999999", "{\"id\":\"j9999999999\",\"state\":\"queued\",\"spec\":{\"input\":\"/a\",\"output\":\"/b\"},"
                        "\"priority\":0,\"attempts\":0,\"exit_code\":0,\"error\":\"\",\"runner_ref\":\"\",\"submitted\":1,"
                        "\"started\":0,\"finished\":0,\"cancel_requested\":false}"},
        {"j000005", "{\"id\":\"j000002\",\"state\":\"queued\",\"spec\":{\"input\":\"/a\",\"output\":\"/b\"},"
                    "\"priority\":0,\"attempts\":0,\"exit_code\":0,\"error\":\"\",\"runner_ref\":\"\",\"submitted\":1,"
                    "\"started\":0,\"finished\":0,\"cancel_requested\":false}"},
        {"j000006", "{\"id\":\"j000006\",\"state\":\"queued\",\"spec\":{\"input\":\"/a\",\"output\":\"/b\",\"batch\":-4},"
                    "\"priority\":0,\"attempts\":0,\"exit_code\":0,\"error\":\"\",\"runner_ref\":\"\",\"submitted\":1,"
                    "\"started\":0,\"finished\":0,\"cancel_requested\":false}"},
        {"j000007", "[1, 2"},
    };
    FILE *f;
    snprintf(path, sizeof path, "%s/jobs/j000002.json", dir);
    cr_assert((f = fopen(path, "w")));
    fputs(good, f);
    fclose(f);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(path, sizeof path, "%s/jobs/%s.json", dir, bad[i][0]);
        cr_assert((f = fopen(path, "w")));
        fputs(bad[i][1], f);
        fclose(f);
    }
    snprintf(path, sizeof path, "%s/jobs/j000008.json", dir); /* a FIFO hung the daemon */
    cr_assert_eq(mkfifo(path, 0600), 0);
    snprintf(path, sizeof path, "%s/jobs/j000009.json", dir); /* a link is not followed */
    cr_assert_eq(symlink("/etc/passwd", path), 0);
    fr_job_queue *q = NULL;
    fr_err e = {0};
    cr_assert_eq(fr_job_queue_open(&q, dir, &e), FR_OK, "%s", e.msg);
    cr_assert_eq(fr_job_queue_count(q), 1, "only the good record loads");
    cr_assert(fr_job_queue_find(q, "j000002"));
    fr_job_queue_free(q);
    const char *aside[] = {"j000003", "j000004", "j9999999999", "j000005", "j000006", "j000007", "j000008", "j000009"};
    for (size_t i = 0; i < sizeof aside / sizeof aside[0]; i++) {
        struct stat sb;
        snprintf(path, sizeof path, "%s/jobs/%s.json.bad", dir, aside[i]);
        cr_assert_eq(lstat(path, &sb), 0, "%s was not moved aside", aside[i]);
        snprintf(path, sizeof path, "%s/jobs/%s.json", dir, aside[i]);
        cr_assert_neq(lstat(path, &sb), 0, "%s is still there", aside[i]);
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

Test(jobs, loopback_endpoints)
{
    cr_assert(fr_job_endpoint_local("tcp://127.0.0.1:5580"));
    cr_assert(fr_job_endpoint_local("tcp://localhost:5580"));
    cr_assert(fr_job_endpoint_local("tcp://[::1]:5580"));
    cr_assert(fr_job_endpoint_local("ipc:///tmp/x"));
    cr_assert(!fr_job_endpoint_local("tcp://0.0.0.0:5580"));
    cr_assert(!fr_job_endpoint_local("tcp://*:5580"));
    cr_assert(!fr_job_endpoint_local("tcp://10.0.0.1:5580"));
    cr_assert(!fr_job_endpoint_local("tcp://127.0.0.1:1;10.0.0.1:5580"));
    cr_assert(!fr_job_endpoint_local("tcp://eth0:5580"));
}
