/* runner_local.c: the local runner (job_runner.h): `filmrestore run` as a
 * child in its own process group, so mpirun and its ranks are signalled
 * together. The handle is "PID:STARTTIME" (STARTTIME from /proc/PID/stat),
 * so a recycled pid is never mistaken for a run left by a previous daemon.
 * Nothing goes through a shell: fork, then execv of the argv as built. */
#include "job_runner.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Field 22 of /proc/PID/stat, or 0 when the process is gone. */
static unsigned long long start_time(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    if (!p)
        return 0;
    unsigned long long t = 0;
    /* after ')': state(3) ... starttime is the 20th field from state */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu", &t) != 1)
        return 0;
    return t;
}

static int parse_ref(const char *ref, pid_t *pid, unsigned long long *t)
{
    long p = 0;
    if (sscanf(ref, "%ld:%llu", &p, t) != 2 || p <= 1)
        return 0;
    *pid = (pid_t)p;
    return 1;
}

static fr_status local_start(void *ctx, const fr_job_launch *l, char ref[FR_JOB_REF_LEN], fr_err *err)
{
    (void)ctx;
    int log = open(l->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (log < 0)
        return fr_err_set(err, FR_ERR_IO, "open %s: %s", l->log_path, strerror(errno));
    pid_t pid = fork();
    if (pid < 0) {
        close(log);
        return fr_err_set(err, FR_ERR_JOB, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        setpgid(0, 0);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, STDIN_FILENO);
        dup2(log, STDOUT_FILENO);
        dup2(log, STDERR_FILENO);
        for (char *const *e = l->env; e && *e; e++)
            putenv(*e);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        execv(l->argv[0], l->argv);
        dprintf(STDERR_FILENO, "filmrestore: cannot start %s: %s\n", l->argv[0], strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid); /* also here: the group exists before any signal is sent */
    close(log);
    unsigned long long t = 0;
    for (int i = 0; i < 100 && !(t = start_time(pid)); i++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    snprintf(ref, FR_JOB_REF_LEN, "%d:%llu", (int)pid, t);
    return FR_OK;
}

static int local_poll(void *ctx, const char *ref, int *exit_code)
{
    (void)ctx;
    pid_t pid;
    unsigned long long t;
    if (!parse_ref(ref, &pid, &t)) {
        *exit_code = 1;
        return 1;
    }
    int wst = 0;
    pid_t r = waitpid(pid, &wst, WNOHANG);
    if (r == 0)
        return 0;
    if (r < 0) { /* not our child (cannot happen for runs we started) */
        *exit_code = 1;
        return 1;
    }
    /* the run's leader is gone: make sure no straggler of its group is left */
    kill(-pid, SIGKILL);
    *exit_code = WIFEXITED(wst) ? WEXITSTATUS(wst) : 128 + WTERMSIG(wst);
    return 1;
}

static void local_cancel(void *ctx, const char *ref)
{
    (void)ctx;
    pid_t pid;
    unsigned long long t;
    if (parse_ref(ref, &pid, &t))
        kill(-pid, SIGTERM);
}

static void local_reap_stale(void *ctx, const char *ref)
{
    (void)ctx;
    pid_t pid;
    unsigned long long t;
    if (!parse_ref(ref, &pid, &t))
        return;
    unsigned long long now_t = start_time(pid);
    if (now_t && now_t != t)
        return; /* the pid was recycled: not ours */
    /* While any member of the group lives, no new process can take its id. */
    kill(-pid, SIGKILL);
    for (int i = 0; i < 500 && kill(-pid, 0) == 0; i++) {
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
}

static const fr_job_runner local_runner = {
    .name = "local",
    .start = local_start,
    .poll = local_poll,
    .cancel = local_cancel,
    .reap_stale = local_reap_stale,
    .ctx = NULL,
};

const fr_job_runner *fr_job_runner_local(void) { return &local_runner; }
