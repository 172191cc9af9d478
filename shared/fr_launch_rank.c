/* fr_launch_rank.c: the outcome file, the run's owner pid and the stop flag, in a rank
 * (fr_launch_rank.h). The status file is made by the launcher (mkstemp, mode 0600); a rank
 * only rewrites that existing file and never follows a symbolic link (O_NOFOLLOW, no
 * O_CREAT). */
#include "fr_launch_rank.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int fr_launch_report(int code, const char *message)
{
    const char *path = getenv(FR_LAUNCH_STATUS_ENV);
    if (!path)
        return 0;
    int fd = open(path, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return 0;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        return 0;
    }
    int ok = fprintf(f, "%d\n%s\n", code, message ? message : "") > 0;
    return fclose(f) == 0 && ok;
}

int fr_launch_owner_pid(void)
{
    const char *p = getenv(FR_LAUNCH_PID_ENV);
    long v = p ? strtol(p, NULL, 10) : 0;
    return v > 0 && v <= INT_MAX ? (int)v : (int)getpid();
}

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig) { stop_signal = sig; }

void fr_launch_catch_stop(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
}

int fr_launch_stop_requested(void) { return stop_signal != 0; }
