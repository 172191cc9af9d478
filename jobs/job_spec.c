/* job_spec.c: checking a job spec against the run option table, resolving
 * its paths under the allowed roots, and turning it into argv (job_spec.h). */
#include "job_spec.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PRIORITY_MAX 1000

static int under_root(const char *path, const fr_job_roots *r)
{
    for (int i = 0; i < r->n; i++) {
        size_t n = strlen(r->roots[i]);
        if (!strncmp(path, r->roots[i], n) && (path[n] == '/' || path[n] == 0 || (n == 1 && r->roots[i][0] == '/')))
            return 1;
    }
    return 0;
}

/* Resolves an absolute path whose last component may not exist yet (an
 * output): realpath of its folder, then the name. must_exist: the whole path. */
static fr_status resolve(const char *field, const char *path, int must_exist, const fr_job_roots *roots,
                         char out[PATH_MAX], fr_err *err)
{
    if (path[0] != '/')
        return fr_err_set(err, FR_ERR_JOB, "field '%s': '%.200s' is not an absolute path", field, path);
    if (strlen(path) >= PATH_MAX - 1)
        return fr_err_set(err, FR_ERR_JOB, "field '%s': path too long", field);
    if (!roots) { /* a spool record's spec: its shape only; the roots are checked when it starts */
        memcpy(out, path, strlen(path) + 1);
        return FR_OK;
    }
    char resolved[PATH_MAX];
    int pattern = strchr(path, '%') != NULL; /* an image sequence: scan_%06d.dpx */
    if (must_exist && !pattern) {
        if (!realpath(path, resolved))
            return fr_err_set(err, FR_ERR_JOB, "field '%s': %.200s: %s", field, path, strerror(errno));
    } else {
        char dir[PATH_MAX], base[PATH_MAX];
        snprintf(dir, sizeof dir, "%s", path);
        snprintf(base, sizeof base, "%s", path);
        const char *name = basename(base);
        if (!name[0] || !strcmp(name, ".") || !strcmp(name, "..") || !strcmp(name, "/"))
            return fr_err_set(err, FR_ERR_JOB, "field '%s': '%.200s' does not name a file", field, path);
        char rdir[PATH_MAX];
        if (!realpath(dirname(dir), rdir))
            return fr_err_set(err, FR_ERR_JOB, "field '%s': folder of %.200s: %s", field, path, strerror(errno));
        if (snprintf(resolved, sizeof resolved, "%s/%s", strcmp(rdir, "/") ? rdir : "", name) >= (int)sizeof resolved)
            return fr_err_set(err, FR_ERR_JOB, "field '%s': path too long", field);
    }
    if (!under_root(resolved, roots))
        return fr_err_set(err, FR_ERR_JOB, "field '%s': %.200s is outside the allowed roots", field, resolved);
    memcpy(out, resolved, strlen(resolved) + 1);
    return FR_OK;
}

static int is_path_field(const char *key)
{
    /* a hostfile names the hosts mpirun reaches: it too must lie under a root */
    return !strcmp(key, "input") || !strcmp(key, "output") || !strcmp(key, "store") || !strcmp(key, "references") ||
           !strcmp(key, "hostfile");
}

/* The model names a file unless it is one of the built-in generators. */
static int model_is_file(const char *m)
{
    return strcmp(m, "default") && strcmp(m, "gray") && strcmp(m, "tint");
}

/* Checks one value's JSON type against its option row; writes it as text. */
static fr_status typed_text(const char *key, const fr_opt *o, const json_t *v, char *buf, size_t len,
                            fr_err *err)
{
    switch (o->type) {
    case FR_OPT_STRING:
        if (!json_is_string(v))
            return fr_err_set(err, FR_ERR_JOB, "field '%s' must be a string", key);
        if (strlen(json_string_value(v)) != json_string_length(v) || json_string_length(v) >= len)
            return fr_err_set(err, FR_ERR_JOB, "field '%s': string too long or with a NUL", key);
        snprintf(buf, len, "%s", json_string_value(v));
        return FR_OK;
    case FR_OPT_LONG:
    case FR_OPT_INT:
        if (!json_is_integer(v))
            return fr_err_set(err, FR_ERR_JOB, "field '%s' must be an integer", key);
        snprintf(buf, len, "%lld", (long long)json_integer_value(v));
        return FR_OK;
    case FR_OPT_DOUBLE:
    case FR_OPT_FLOAT:
        if (!json_is_number(v))
            return fr_err_set(err, FR_ERR_JOB, "field '%s' must be a number", key);
        snprintf(buf, len, "%.17g", json_number_value(v));
        return FR_OK;
    case FR_OPT_FLAG:
        if (!json_is_boolean(v))
            return fr_err_set(err, FR_ERR_JOB, "field '%s' must be true or false", key);
        snprintf(buf, len, "%d", json_is_true(v) ? 1 : 0);
        return FR_OK;
    case FR_OPT_LIST:
        break;
    }
    return fr_err_set(err, FR_ERR_JOB, "field '%s' cannot be set in a job", key);
}

void fr_job_spec_clear(fr_job_spec *spec)
{
    if (!spec)
        return;
    json_decref(spec->canon);
    memset(spec, 0, sizeof *spec);
}

/* Checks one field and adds its canonical value to canon. */
static fr_status check_field(const char *key, const json_t *v, const fr_job_roots *roots, json_t *canon,
                             fr_run_settings *scratch, fr_err *err)
{
    fr_opt_group g[FR_RUN_GROUPS];
    size_t ng = fr_run_groups(g);
    char text[PATH_MAX], path[PATH_MAX];
    json_t *out = NULL;
    if (!strcmp(key, "priority")) {
        if (!json_is_integer(v) || json_integer_value(v) < -PRIORITY_MAX || json_integer_value(v) > PRIORITY_MAX)
            return fr_err_set(err, FR_ERR_JOB, "field 'priority' must be an integer in [%d, %d]",
                              -PRIORITY_MAX, PRIORITY_MAX);
        out = json_integer(json_integer_value(v));
    } else if (!strcmp(key, "input")) {
        if (!json_is_string(v))
            return fr_err_set(err, FR_ERR_JOB, "field 'input' must be a string");
    } else {
        const fr_opt *o = fr_opts_find(g, ng, key, NULL);
        if (!o)
            return fr_err_set(err, FR_ERR_JOB, "unknown field '%.64s' (see 'filmrestore run --help')", key);
        fr_status st = typed_text(key, o, v, text, sizeof text, err);
        if (st != FR_OK)
            return st;
        fr_err e = {0};
        if (o->type != FR_OPT_STRING && fr_opts_set(g, ng, scratch, key, text, &e) != FR_OK)
            return fr_err_set(err, FR_ERR_JOB, "field '%s': %s", key, e.msg);
    }
    if (!out && json_is_string(v)) {
        const char *s = json_string_value(v);
        if (strlen(s) != json_string_length(v) || strlen(s) >= PATH_MAX - 1)
            return fr_err_set(err, FR_ERR_JOB, "field '%s': string too long or with a NUL", key);
        int file = is_path_field(key) || (!strcmp(key, "model") && model_is_file(s));
        if (file) {
            fr_status st = resolve(key, s,
                                   !strcmp(key, "input") || !strcmp(key, "model") || !strcmp(key, "references") ||
                                       !strcmp(key, "hostfile"),
                                   roots,
                                   path, err);
            if (st != FR_OK)
                return st;
            s = path;
        }
        out = json_string(s);
    } else if (!out) {
        out = json_deep_copy(v);
    }
    if (!out || json_object_set_new(canon, key, out) != 0)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    return FR_OK;
}

fr_status fr_job_spec_parse(const json_t *job, const fr_job_roots *roots, fr_job_spec *spec, fr_err *err)
{
    memset(spec, 0, sizeof *spec);
    if (!json_is_object(job))
        return fr_err_set(err, FR_ERR_JOB, "the job must be a JSON object");
    json_t *canon = json_object();
    if (!canon)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    fr_run_settings scratch;
    fr_run_settings_defaults(&scratch);
    fr_status st = FR_OK;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)job, key, v) {
        if ((st = check_field(key, v, roots, canon, &scratch, err)) != FR_OK)
            goto fail;
    }
    if (!json_object_get(canon, "input")) {
        st = fr_err_set(err, FR_ERR_JOB, "missing field 'input'");
        goto fail;
    }
    if (!json_object_get(canon, "output")) {
        st = fr_err_set(err, FR_ERR_JOB, "missing field 'output'");
        goto fail;
    }
    /* Now the settings, from the canonical values, exactly as `run` will see them. */
    fr_run_settings_defaults(&spec->s);
    fr_opt_group g[FR_RUN_GROUPS];
    size_t ng = fr_run_groups(g);
    json_object_foreach(canon, key, v) {
        char text[PATH_MAX];
        const fr_opt *o = fr_opts_find(g, ng, key, NULL);
        if (!strcmp(key, "input")) {
            spec->s.input = json_string_value(v);
        } else if (!strcmp(key, "priority")) {
            spec->priority = (long)json_integer_value(v);
        } else if (o && o->type == FR_OPT_STRING) {
            fr_opts_set(g, ng, &spec->s, key, json_string_value(v), NULL);
        } else if (o && (st = typed_text(key, o, v, text, sizeof text, err)) == FR_OK) {
            fr_opts_set(g, ng, &spec->s, key, text, NULL);
        } else {
            goto fail;
        }
    }
    fr_err e = {0};
    if (fr_run_settings_check(&spec->s, &e) != FR_OK) {
        st = fr_err_set(err, FR_ERR_JOB, "%s", e.msg);
        goto fail;
    }
    spec->canon = canon;
    return FR_OK;
fail:
    json_decref(canon);
    memset(spec, 0, sizeof *spec);
    return st;
}

void fr_job_argv_free(char **argv)
{
    if (!argv)
        return;
    for (char **a = argv; *a; a++)
        free(*a);
    free(argv);
}

fr_status fr_job_spec_argv(const json_t *canon, const char *exe, char ***argv_out, fr_err *err)
{
    *argv_out = NULL;
    size_t n = json_object_size(canon);
    char **argv = calloc(n + 6, sizeof *argv);
    if (!argv)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    size_t k = 0;
    argv[k++] = strdup(exe);
    argv[k++] = strdup("run");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)canon, key, v) {
        if (!strcmp(key, "input") || !strcmp(key, "priority"))
            continue;
        char *a = NULL;
        int rc = 0;
        if (json_is_string(v))
            rc = asprintf(&a, "--%s=%s", key, json_string_value(v));
        else if (json_is_integer(v))
            rc = asprintf(&a, "--%s=%lld", key, (long long)json_integer_value(v));
        else if (json_is_real(v))
            rc = asprintf(&a, "--%s=%.17g", key, json_real_value(v));
        else if (json_is_true(v))
            rc = asprintf(&a, "--%s", key);
        else
            continue; /* a false flag is the default */
        if (rc < 0 || !a) {
            fr_job_argv_free(argv);
            return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        }
        argv[k++] = a;
    }
    const char *input = json_string_value(json_object_get(canon, "input"));
    if (!input) { /* a canonical spec always has one: refuse rather than strdup(NULL) */
        fr_job_argv_free(argv);
        return fr_err_set(err, FR_ERR_JOB, "the job has no input");
    }
    argv[k++] = strdup("--");
    argv[k++] = strdup(input);
    for (size_t i = 0; i < k; i++)
        if (!argv[i]) {
            fr_job_argv_free(argv);
            return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        }
    *argv_out = argv;
    return FR_OK;
}
