/* fr_slurm.c: sbatch, squeue, sacct, scontrol and scancel as child processes (fr_slurm.h).
 *
 * One helper runs a command from an argument vector (fork, execvp) with stdin from
 * /dev/null and its stdout captured; its stderr goes to ours only for sbatch, whose
 * refusal the user must read. No command line is ever built as text for a shell. */
#include "fr_slurm.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { ERR_DROP, ERR_KEEP, ERR_CAPTURE }; /* what becomes of a command's stderr */

/* Runs argv, its stdout (and with ERR_CAPTURE its stderr) into out (len > 0 bytes,
 * NUL-terminated, the rest dropped); returns its exit status, 127 when it cannot start,
 * or -1 when fork or pipe fail. */
static int run_capture(char *const *argv, char *const *env, int stderr_to, char *out, size_t len)
{
    out[0] = 0;
    int fd[2];
    if (pipe(fd) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(fd[0]);
        close(fd[1]);
        return -1;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0)
            dup2(devnull, STDIN_FILENO);
        if (stderr_to == ERR_CAPTURE)
            dup2(fd[1], STDERR_FILENO);
        else if (stderr_to == ERR_DROP && devnull >= 0)
            dup2(devnull, STDERR_FILENO);
        dup2(fd[1], STDOUT_FILENO);
        close(fd[0]);
        close(fd[1]);
        for (char *const *e = env; e && *e; e++)
            putenv(*e);
        signal(SIGPIPE, SIG_DFL);
        execvp(argv[0], argv);
        dprintf(STDERR_FILENO, "filmrestore: cannot start %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(fd[1]);
    size_t n = 0;
    char buf[512];
    for (;;) {
        ssize_t r = read(fd[0], buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        size_t take = (size_t)r < len - 1 - n ? (size_t)r : len - 1 - n;
        memcpy(out + n, buf, take);
        n += take;
    }
    out[n] = 0;
    close(fd[0]);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int fr_slurm_id_valid(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n >= FR_SLURM_ID_LEN || !isdigit((unsigned char)id[0]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)id[i]) && id[i] != '_')
            return 0;
    return 1;
}

fr_status fr_slurm_submit(const fr_slurm_submit_opts *o, char id[FR_SLURM_ID_LEN], fr_err *err)
{
    id[0] = 0;
    const char *input = NULL, *output = NULL;
    size_t nrun = 0, nopt = 0;
    for (char *const *a = o->run_argv; *a; a++)
        nrun++;
    for (const char *const *s = o->sbatch_opts; s && *s; s++)
        nopt++;
    /* EXE run --name=value... -- INPUT: the options but --output, then the input */
    for (size_t i = 2; i < nrun; i++) {
        if (!strcmp(o->run_argv[i], "--") && i + 1 < nrun)
            input = o->run_argv[i + 1];
        else if (!strncmp(o->run_argv[i], "--output=", 9))
            output = o->run_argv[i] + 9;
    }
    if (nrun < 4 || strcmp(o->run_argv[1], "run") || !input || !output)
        return fr_err_set(err, FR_ERR_ARG, "a SLURM job needs `run ... --output=OUTPUT -- INPUT`");
    char logopt[4200];
    const char **argv = calloc(nrun + nopt + 12, sizeof *argv);
    if (!argv)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    size_t k = 0;
    argv[k++] = "sbatch";
    argv[k++] = "--parsable";
    if (o->log_path) {
        snprintf(logopt, sizeof logopt, "--output=%s", o->log_path);
        argv[k++] = logopt;
        argv[k++] = "--open-mode=append";
    }
    for (size_t i = 0; i < nopt; i++)
        argv[k++] = o->sbatch_opts[i];
    argv[k++] = o->script;
    argv[k++] = input;
    argv[k++] = output;
    for (size_t i = 2; i < nrun; i++) {
        if (!strcmp(o->run_argv[i], "--"))
            break;
        if (strncmp(o->run_argv[i], "--output=", 9))
            argv[k++] = o->run_argv[i];
    }
    argv[k] = NULL;
    char out[256];
    int rc = run_capture((char *const *)argv, o->env, ERR_KEEP, out, sizeof out);
    free(argv);
    if (rc != 0)
        return fr_err_set(err, FR_ERR_JOB, rc == 127 ? "cannot run sbatch (is SLURM installed?)" : "sbatch %s failed (exit %d)",
                          o->script, rc);
    out[strcspn(out, ";\r\n")] = 0; /* --parsable: ID or ID;CLUSTER */
    if (!fr_slurm_id_valid(out))
        return fr_err_set(err, FR_ERR_JOB, "sbatch printed no job id ('%.60s')", out);
    memcpy(id, out, strlen(out) + 1); /* valid: shorter than FR_SLURM_ID_LEN */
    return FR_OK;
}

/* An ended job's exit: "A:B" is SLURM's exit status A and signal B. */
static int exit_from(const char *state, const char *code)
{
    int a = 0, b = 0;
    int have = code && sscanf(code, "%d:%d", &a, &b) == 2;
    if (!strcmp(state, "COMPLETED"))
        return 0;
    if (!strncmp(state, "CANCELLED", 9))
        return 143;
    if (have && b > 0)
        return 128 + b;
    return have && a > 0 ? a : 1;
}

static int still_going(const char *state)
{
    static const char *const going[] = {"PENDING", "RUNNING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "CONFIGURING",
                                        "COMPLETING", "SUSPENDED", "RESIZING", "SIGNALING", "STAGE_OUT", "RESV_DEL_HOLD",
                                        "STOPPED", "PREEMPTED"};
    for (size_t i = 0; i < sizeof going / sizeof going[0]; i++)
        if (!strcmp(state, going[i]))
            return 1;
    return 0;
}

int fr_slurm_state(const char *id, char *state, size_t len, int *exit_code)
{
    char out[4096];
    *exit_code = 1;
    snprintf(state, len, "UNKNOWN");
    if (!fr_slurm_id_valid(id))
        return -1;
    char *sq[] = {"squeue", "-h", "-j", (char *)id, "-o", "%T", NULL};
    if (run_capture(sq, NULL, ERR_DROP, out, sizeof out) == 0 && out[0]) {
        out[strcspn(out, " \r\n")] = 0;
        snprintf(state, len, "%s", out);
        /* PREEMPTED with requeue on goes back to PENDING; squeue lists only live jobs */
        return 0;
    }
    /* left the queue: sacct where accounting is on, else the controller's memory of it */
    char *sa[] = {"sacct", "-n", "-X", "-P", "-j", (char *)id, "-o", "State,ExitCode", NULL};
    char code[32] = "";
    if (run_capture(sa, NULL, ERR_DROP, out, sizeof out) == 0 && out[0]) {
        char st[64] = "";
        if (sscanf(out, "%63[^|]|%31s", st, code) >= 1) {
            st[strcspn(st, " ")] = 0; /* "CANCELLED by 0" */
            snprintf(state, len, "%s", st);
        }
    } else {
        char *sc[] = {"scontrol", "-o", "show", "job", (char *)id, NULL};
        int rc = run_capture(sc, NULL, ERR_CAPTURE, out, sizeof out);
        const char *s = strstr(out, "JobState="), *c = strstr(out, " ExitCode=");
        if (rc != 0 || !s) /* forgotten by SLURM, or SLURM out of reach for now */
            return strstr(out, "Invalid job id") ? -1 : 2;
        snprintf(state, len, "%.*s", (int)strcspn(s + 9, " \n"), s + 9);
        if (c)
            snprintf(code, sizeof code, "%.*s", (int)strcspn(c + 10, " \n"), c + 10);
    }
    if (still_going(state))
        return 0;
    *exit_code = exit_from(state, code);
    return 1;
}

void fr_slurm_cancel(const char *id)
{
    if (!fr_slurm_id_valid(id))
        return;
    char out[256];
    char *sc[] = {"scancel", (char *)id, NULL};
    run_capture(sc, NULL, ERR_DROP, out, sizeof out);
}
