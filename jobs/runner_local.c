/* runner_local.c: the local runner (job_runner.h): `filmrestore run` as a
 * child in a session of its own (setsid). mpirun gives each rank its own
 * process group, so a signal to the launcher's group would miss the ranks; the
 * session holds them all, and stopping a run signals every process of the
 * session (found in /proc). The handle is "PID:STARTTIME" (STARTTIME from /proc/PID/stat),
 * so a recycled pid is never mistaken for a run left by a previous daemon.
 * Nothing goes through a shell: fork, then execv of the argv as built. */
#include "job_runner.h"

#include <dirent.h>
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

/* Sends sig to every process whose session is sid; returns how many it found. */
static int signal_session(pid_t sid, int sig)
{
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    int found = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char *end;
        long p = strtol(e->d_name, &end, 10);
        if (*end || p <= 1)
            continue;
        char path[64], buf[512];
        snprintf(path, sizeof path, "/proc/%ld/stat", p);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = 0;
        char *q = strrchr(buf, ')');
        char state = 0;
        int ppid = 0, pgrp = 0, session = 0;
        if (!q || sscanf(q + 2, "%c %d %d %d", &state, &ppid, &pgrp, &session) != 4 || session != sid)
            continue;
        if (state == 'Z') /* gone already, waiting for its parent */
            continue;
        found++;
        kill((pid_t)p, sig);
    }
    closedir(d);
    return found;
}

/* Kills the session and waits (up to 5 s) until none of it is left. */
static void kill_session(pid_t sid)
{
    for (int i = 0; i < 500 && signal_session(sid, SIGKILL) > 0; i++) {
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
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
        setsid();
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
    /* the run's leader is gone: make sure no straggler of its session is left */
    kill_session(pid);
    *exit_code = WIFEXITED(wst) ? WEXITSTATUS(wst) : 128 + WTERMSIG(wst);
    return 1;
}

/* The session a runner ref names, unless its pid now belongs to another process (same pid,
 * other start time). While any member of a session lives, Linux gives no new process its id,
 * so a leader that is gone still names its session. */
static int our_session(const char *ref, pid_t *pid)
{
    unsigned long long t, now_t;
    return parse_ref(ref, pid, &t) && (!(now_t = start_time(*pid)) || now_t == t);
}

/* SIGTERM to the run's launcher, which forwards it to mpirun and every rank and waits,
 * so the store closes cleanly and the temporary output goes (cluster's launcher, issue 15).
 * It returns at once: the daemon's loop calls local_kill FR_JOB_CANCEL_GRACE seconds later
 * if the session is still there (the store survives SIGKILL at any instant too). */
static void local_cancel(void *ctx, const char *ref)
{
    (void)ctx;
    pid_t pid;
    if (our_session(ref, &pid))
        kill(pid, SIGTERM);
}

/* SIGKILL to every process left in the run's session, without waiting. */
static void local_kill(void *ctx, const char *ref)
{
    (void)ctx;
    pid_t pid;
    if (our_session(ref, &pid))
        signal_session(pid, SIGKILL);
}

static void local_reap_stale(void *ctx, const char *ref)
{
    (void)ctx;
    pid_t pid;
    if (our_session(ref, &pid))
        kill_session(pid);
}

static const fr_job_runner local_runner = {
    .name = "local",
    .start = local_start,
    .poll = local_poll,
    .cancel = local_cancel,
    .kill = local_kill,
    .reap_stale = local_reap_stale,
    .ctx = NULL,
};

const fr_job_runner *fr_job_runner_local(void) { return &local_runner; }
