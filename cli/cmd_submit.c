/* cmd_submit.c: `filmrestore submit SPEC.json` or `filmrestore submit INPUT
 * -o OUTPUT [run's options]`: queue a job on filmrestored; prints its id.
 *
 * With flags, the options are run's own table (run_settings.h) and only the
 * settings that differ from run's defaults go into the spec. Relative paths
 * (input, output, store, a model file), in a spec file or on the command
 * line, are made absolute against the current folder, since the service has
 * its own. With --slurm the spec goes to sbatch instead (submit_slurm.c). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "job_cli.h"
#include "run_settings.h"
#include "submit_slurm.h"

typedef struct {
    fr_job_client_opts c;
    fr_run_settings s;
    long priority;         /* -1001 (outside its range): not given */
    fr_submit_slurm_args sl;
} submit_args;

#define SL(f) (offsetof(submit_args, sl) + offsetof(fr_submit_slurm_args, f))
static const fr_opt rows[] = {
    {"priority", 0, FR_OPT_LONG, offsetof(submit_args, priority), NULL, -1000, 1000,
     "queue order: higher runs first [0]"},
    {"slurm", 0, FR_OPT_FLAG, SL(slurm), NULL, 0, 1,
     "submit to SLURM with sbatch (cluster/filmrestore.sbatch) instead of filmrestored; prints the job id"},
    {"sbatch", 0, FR_OPT_LIST, SL(sbatch), NULL, 0, 0, "with --slurm: an sbatch option, e.g. --sbatch=--nodes=4 (repeatable)"},
    {"sbatch-script", 0, FR_OPT_STRING, SL(script), NULL, 0, 0,
     "with --slurm: the batch script [cluster/filmrestore.sbatch beside the build]"},
    {"wait", 0, FR_OPT_FLAG, SL(wait), NULL, 0, 1, "with --slurm: follow the job to its end; exit 0 once it completed"},
};
#undef SL

static int is_path_key(const char *k, const char *v)
{
    if (!strcmp(k, "model"))
        return strcmp(v, "default") && strcmp(v, "gray") && strcmp(v, "tint");
    return !strcmp(k, "input") || !strcmp(k, "output") || !strcmp(k, "store") || !strcmp(k, "hostfile");
}

/* Makes the spec's relative paths absolute. */
static int absolutise(json_t *spec)
{
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) {
        fr_cli_error("getcwd: %s", strerror(errno));
        return 0;
    }
    const char *k;
    json_t *v;
    json_object_foreach(spec, k, v) {
        const char *p = json_string_value(v);
        if (!p || !is_path_key(k, p) || p[0] == '/')
            continue;
        char abs[2 * PATH_MAX];
        snprintf(abs, sizeof abs, "%s/%s", cwd, p);
        if (json_string_set(v, abs) != 0)
            return 0;
    }
    return 1;
}

/* The spec from run-like flags: every setting that differs from the default. */
static json_t *spec_from_flags(const fr_run_settings *s)
{
    fr_run_settings d;
    fr_run_settings_defaults(&d);
    fr_opt_group g[FR_RUN_GROUPS];
    size_t ng = fr_run_groups(g);
    json_t *spec = json_pack("{s:s}", "input", s->input);
    for (size_t k = 0; spec && k < ng; k++)
        for (size_t i = 0; i < g[k].n; i++) {
            const fr_opt *o = &g[k].rows[i];
            const char *f = (const char *)s + g[k].base + o->offset;
            const char *df = (const char *)&d + g[k].base + o->offset;
            char a[PATH_MAX], b[PATH_MAX];
            fr_opts_format(o, f, a, sizeof a);
            fr_opts_format(o, df, b, sizeof b);
            if (!strcmp(a, b) && (o->type != FR_OPT_STRING || !*(const char *const *)f == !*(const char *const *)df))
                continue;
            json_t *v = NULL;
            switch (o->type) {
            case FR_OPT_STRING: v = json_string(*(const char *const *)f); break;
            case FR_OPT_LONG: v = json_integer(*(const long *)f); break;
            case FR_OPT_INT: v = json_integer(*(const int *)f); break;
            case FR_OPT_DOUBLE: v = json_real(*(const double *)f); break;
            case FR_OPT_FLOAT: v = json_real(strtod(a, NULL)); break;
            case FR_OPT_FLAG: v = json_boolean(*(const long *)f); break;
            case FR_OPT_LIST: break;
            }
            if (v && json_object_set_new(spec, o->name, v) != 0) {
                json_decref(spec);
                return NULL;
            }
        }
    return spec;
}

int fr_cmd_submit(int argc, char **argv)
{
    submit_args a;
    memset(&a, 0, sizeof a);
    fr_run_settings_defaults(&a.s);
    fr_opt_group g[FR_RUN_GROUPS + 1];
    size_t ng = fr_run_groups(g);
    for (size_t i = 0; i < ng; i++)
        g[i].base += offsetof(submit_args, s);
    g[ng++] = (fr_opt_group){rows, sizeof rows / sizeof rows[0], 0, "queue"};
    a.priority = -1001; /* unset marker: within no range */
    char *pos[2];
    int npos = 0;
    int rc = fr_job_cli_parse("usage: filmrestore submit SPEC.json [options]\n"
                              "       filmrestore submit INPUT -o OUTPUT [run's options]\n"
                              "       filmrestore submit --slurm [--sbatch=OPT]... [--wait] INPUT -o OUTPUT [run's options]\n\n"
                              "Queues a job on filmrestored (or, with --slurm, on SLURM) and prints its id. See\n"
                              "docs/jobs.md for the spec and docs/cluster.md for SLURM.\n",
                              g, ng, &a, offsetof(submit_args, c), argc, argv, pos, 2, &npos);
    if (rc >= 0)
        return rc;
    if (npos != 1) {
        fr_cli_error("submit: expected SPEC.json or INPUT (see 'filmrestore submit --help')");
        return 2;
    }
    json_t *spec = NULL;
    size_t l = strlen(pos[0]);
    if (!a.s.output && l > 5 && !strcmp(pos[0] + l - 5, ".json")) {
        json_error_t je;
        spec = json_load_file(pos[0], JSON_REJECT_DUPLICATES, &je);
        if (!json_is_object(spec)) {
            fr_cli_error("%s:%d: %s", pos[0], je.line, spec ? "the spec must be a JSON object" : je.text);
            json_decref(spec);
            return 2;
        }
    } else {
        a.s.input = pos[0];
        fr_err err = {0};
        if (fr_run_settings_check(&a.s, &err) != FR_OK) {
            fr_cli_error("submit: %s", err.msg);
            return 2;
        }
        if (!(spec = spec_from_flags(&a.s))) {
            fr_cli_error("submit: out of memory");
            return 1;
        }
    }
    if (a.priority != -1001 && json_object_set_new(spec, "priority", json_integer(a.priority)) != 0) {
        json_decref(spec);
        return 1;
    }
    if (!absolutise(spec)) {
        json_decref(spec);
        return 1;
    }
    if (a.sl.slurm) {
        rc = fr_submit_slurm(spec, &a.sl);
        json_decref(spec);
        return rc;
    }
    if (a.sl.wait || a.sl.script || a.sl.sbatch.n) {
        json_decref(spec);
        fr_cli_error("submit: --wait, --sbatch and --sbatch-script go with --slurm");
        return 2;
    }
    json_t *reply = NULL;
    if ((rc = fr_job_cli_call(&a.c, json_pack("{s:s, s:o}", "op", "submit", "job", spec), &reply)) != 0)
        return rc;
    printf("%s\n", json_string_value(json_object_get(reply, "id")));
    json_decref(reply);
    return 0;
}
