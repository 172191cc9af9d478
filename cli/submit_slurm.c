/* submit_slurm.c: `filmrestore submit --slurm` (submit_slurm.h). The spec is checked by the
 * job service's own code (jobs/job_spec.c), turned into run's argv, and handed to sbatch
 * with cluster/filmrestore.sbatch; nothing goes through a shell. */
#include "submit_slurm.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "fr_slurm.h"
#include "job_spec.h"

/* Follows job id until it ends; prints each new state. */
static int follow(const char *id)
{
    char last[64] = "", state[64];
    int code = 1;
    for (;;) {
        int r = fr_slurm_state(id, state, sizeof state, &code);
        if (strcmp(state, last)) {
            fprintf(stderr, "[slurm] job %s: %s\n", id, state);
            snprintf(last, sizeof last, "%s", state);
        }
        if (r < 0) {
            fr_cli_error("submit: SLURM no longer knows job %s", id);
            return 1;
        }
        /* r == 2: SLURM out of reach for now; ask again */
        if (r == 1) {
            if (code != 0)
                fr_cli_error("submit: SLURM job %s ended %s (exit %d); see its log", id, state, code);
            return code;
        }
        struct timespec ts = {1, 0};
        nanosleep(&ts, NULL);
    }
}

int fr_submit_slurm(json_t *spec, const fr_submit_slurm_args *a)
{
    char exe[PATH_MAX], dir[PATH_MAX], guess[PATH_MAX + 64];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        fr_cli_error("submit: cannot find the filmrestore executable: %s", strerror(errno));
        return 1;
    }
    exe[n] = 0;
    snprintf(dir, sizeof dir, "%s", exe);
    snprintf(guess, sizeof guess, "%s/../cluster/filmrestore.sbatch", dirname(dir));
    const char *script = a->script ? a->script : guess;
    char script_abs[PATH_MAX];
    if (!realpath(script, script_abs)) {
        fr_cli_error("submit: --sbatch-script %s: %s", script, strerror(errno));
        return 2;
    }
    const char *root_list[] = {"/"};
    fr_job_roots roots = {root_list, 1};
    fr_job_spec js;
    memset(&js, 0, sizeof js);
    fr_err err = {0};
    char **argv = NULL;
    if (fr_job_spec_parse(spec, &roots, &js, &err) != FR_OK || fr_job_spec_argv(js.canon, exe, &argv, &err) != FR_OK) {
        fr_cli_error("submit: %s", err.msg);
        fr_job_spec_clear(&js);
        return 2;
    }
    const char *opts[FR_OPT_LIST_MAX + 1];
    for (int i = 0; i < a->sbatch.n; i++)
        opts[i] = a->sbatch.v[i];
    opts[a->sbatch.n] = NULL;
    char env_exe[PATH_MAX + 16];
    snprintf(env_exe, sizeof env_exe, "FILMRESTORE=%s", exe);
    char *env[] = {env_exe, NULL};
    fr_slurm_submit_opts o = {script_abs, opts, NULL, argv, env};
    char id[FR_SLURM_ID_LEN];
    fr_status st = fr_slurm_submit(&o, id, &err);
    fr_job_argv_free(argv);
    fr_job_spec_clear(&js);
    if (st != FR_OK) {
        fr_cli_error("submit: %s", err.msg);
        return 1;
    }
    printf("%s\n", id);
    fflush(stdout);
    return a->wait ? follow(id) : 0;
}
