/* fr_model_check.c: reading a model file in a child process first (fr_model_check.h). */
#include "fr_model_check.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fr_model.h"

#define CHECK_SECONDS 300                    /* the largest DeOldify model reads in seconds */
#define CHECK_MIN_BYTES (4ull << 30)         /* address space: at least 4 GiB, */
#define CHECK_SIZE_FACTOR 8ull               /* or 8x the file */

#if defined(__SANITIZE_ADDRESS__)
#define ADDRESS_LIMIT 0 /* ASan reserves terabytes of shadow memory up front */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ADDRESS_LIMIT 0
#endif
#endif
#ifndef ADDRESS_LIMIT
#define ADDRESS_LIMIT 1
#endif

/* The address space the child may grow by: what it has (the libraries mapped, oneDNN's
 * and CUDA's included) plus the larger of CHECK_MIN_BYTES and CHECK_SIZE_FACTOR files. */
static void limit_memory(off_t size)
{
    unsigned long long pages = 0, more = (unsigned long long)size * CHECK_SIZE_FACTOR;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return; /* no /proc: the time limit still holds */
    int ok = fscanf(f, "%llu", &pages) == 1;
    fclose(f);
    if (!ok || !ADDRESS_LIMIT)
        return;
    if (more < CHECK_MIN_BYTES)
        more = CHECK_MIN_BYTES;
    rlim_t limit = (rlim_t)(pages * (unsigned long long)sysconf(_SC_PAGESIZE) + more);
    struct rlimit rl = {limit, limit};
    setrlimit(RLIMIT_AS, &rl);
}

/* In the child: read the whole model, send its error line (if any) up the pipe. */
_Noreturn static void child_read(const char *path, off_t size, int wfd)
{
    limit_memory(size);
    int null = open("/dev/null", O_WRONLY); /* a crash report (ASan's) is not the user's */
    if (null >= 0)
        dup2(null, STDERR_FILENO);
    struct rlimit core = {0, 0}; /* a crash here is expected of a bad file: no core dump */
    setrlimit(RLIMIT_CORE, &core);
    alarm(CHECK_SECONDS);
    fr_model *m = NULL;
    fr_err e = {0};
    fr_status st = fr_model_open(&m, path, &e);
    fr_model_free(m);
    if (st != FR_OK) {
        size_t n = strnlen(e.msg, sizeof e.msg);
        if (write(wfd, &st, sizeof st) != (ssize_t)sizeof st || write(wfd, e.msg, n) != (ssize_t)n)
            _exit(3);
    }
    _exit(st == FR_OK ? 0 : 1);
}

/* In the parent: the child's error line, up to EOF. */
static size_t read_line(int rfd, fr_status *st, char *msg, size_t len)
{
    size_t got = 0;
    ssize_t k;
    while ((k = read(rfd, (char *)st + got, sizeof *st - got)) > 0 && (got += (size_t)k) < sizeof *st)
        ;
    if (got < sizeof *st)
        return 0;
    size_t n = 0;
    while (n + 1 < len && (k = read(rfd, msg + n, len - 1 - n)) > 0)
        n += (size_t)k;
    msg[n] = 0;
    return n;
}

fr_status fr_model_check_isolated(const char *spec, fr_err *err)
{
    if (!strcmp(spec, "gray") || !strcmp(spec, "tint") || !strcmp(spec, "default"))
        return FR_OK;
    struct stat sb;
    if (stat(spec, &sb) != 0)
        return fr_err_set(err, FR_ERR_IO, "%s: %s", spec, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return fr_err_set(err, FR_ERR_MODEL, "%s: not a regular file (a model is an HDF5 file)", spec);
    int p[2];
    if (pipe(p) != 0)
        return fr_err_set(err, FR_ERR_IO, "pipe: %s", strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return fr_err_set(err, FR_ERR_IO, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        close(p[0]);
        child_read(spec, sb.st_size, p[1]);
    }
    close(p[1]);
    fr_status child_st = FR_OK;
    char msg[sizeof err->msg];
    size_t n = read_line(p[0], &child_st, msg, sizeof msg);
    close(p[0]);
    int ws;
    while (waitpid(pid, &ws, 0) < 0)
        if (errno != EINTR)
            return fr_err_set(err, FR_ERR_IO, "waitpid: %s", strerror(errno));
    if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0)
        return FR_OK;
    if (WIFEXITED(ws) && WEXITSTATUS(ws) == 1 && n > 0)
        return fr_err_set(err, child_st, "%s", msg);
    if (WIFSIGNALED(ws) && WTERMSIG(ws) == SIGALRM)
        return fr_err_set(err, FR_ERR_MODEL, "%s: malformed model file: reading it took more than %d s", spec,
                          CHECK_SECONDS);
    if (WIFSIGNALED(ws))
        return fr_err_set(err, FR_ERR_MODEL, "%s: malformed model file: the HDF5 library crashed reading it (%s)", spec,
                          strsignal(WTERMSIG(ws)));
    return fr_err_set(err, FR_ERR_MODEL, "%s: malformed model file: its reader exited with status %d (a sanitizer's?)",
                      spec, WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
}
