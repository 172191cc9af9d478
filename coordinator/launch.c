/* launch.c: mpirun as a child process, and the outcome handshake (launch.h). */
#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

#define STATUS_ENV "FILMRESTORE_STATUS_FILE"

void fr_launch_report(int code, const char *message)
{
    const char *path = getenv(STATUS_ENV);
    if (!path)
        return;
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    fprintf(f, "%d\n%s\n", code, message ? message : "");
    fclose(f);
}

static int read_status(const char *path, char *msg, size_t len)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int code = -1;
    if (fscanf(f, "%d\n", &code) != 1)
        code = -1;
    if (!fgets(msg, (int)len, f))
        msg[0] = 0;
    msg[strcspn(msg, "\n")] = 0;
    fclose(f);
    return code;
}

int fr_launch_mpirun(int argc, char **argv, long ranks, const char *log_path)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        fr_cli_error("cannot find the filmrestore executable: %s", strerror(errno));
        return 1;
    }
    exe[n] = 0;
    char status_path[64];
    snprintf(status_path, sizeof status_path, "/tmp/filmrestore-status-%d", (int)getpid());
    unlink(status_path);
    setenv(STATUS_ENV, status_path, 1);
    if (geteuid() == 0) {
        setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
        setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    }
    setenv("OMPI_MCA_btl_vader_single_copy_mechanism", "none", 0);
    setenv("OMPI_MCA_mpi_yield_when_idle", "1", 0);
    setenv("OMP_WAIT_POLICY", "passive", 0); /* idle OpenMP threads sleep: ranks share cores */
    if (isatty(STDERR_FILENO))
        setenv("FILMRESTORE_PROGRESS_TTY", "1", 1);

    char np[32];
    snprintf(np, sizeof np, "%ld", ranks + 1);
    int in_slurm = getenv("SLURM_JOB_ID") != NULL;
    char **args = calloc((size_t)argc + 16, sizeof *args);
    if (!args)
        return 1;
    int k = 0;
    args[k++] = "mpirun";
    if (!in_slurm) { /* local: N nodes and the coordinator on this machine */
        args[k++] = "--oversubscribe";
        args[k++] = "-np";
        args[k++] = np;
    }
    args[k++] = "--bind-to";
    args[k++] = "none";
    args[k++] = exe;
    for (int i = 0; i < argc; i++)
        args[k++] = argv[i];
    args[k] = NULL;

    int pipefd[2];
    if (pipe(pipefd) != 0) {
        free(args);
        fr_cli_error("pipe: %s", strerror(errno));
        return 1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pipefd[1], STDERR_FILENO);
        close(pipefd[0]);
        close(pipefd[1]);
        execvp("mpirun", args);
        fprintf(stderr, "filmrestore: cannot start mpirun: %s\n", strerror(errno));
        _exit(127);
    }
    free(args);
    close(pipefd[1]);
    if (pid < 0) {
        fr_cli_error("fork: %s", strerror(errno));
        return 1;
    }
    FILE *log = fopen(log_path, "w");
    FILE *in = fdopen(pipefd[0], "r");
    char line[4096];
    size_t len = 0;
    int noise = 0, c;
    /* Lines end at '\n' or '\r' (a progress bar redraws with '\r'). */
    while (in && (c = getc(in)) != EOF) {
        if (len < sizeof line - 1)
            line[len++] = (char)c;
        if (c != '\n' && c != '\r')
            continue;
        line[len] = 0;
        const char *text = line[0] == '\r' ? line + 1 : line;
        if (text[0] == '[' || (len == 1 && c == '\r') ) {
            fputs(line, stderr);
            fflush(stderr);
        } else if (log && strncmp(text, "filmrestore:", 12)) {
            fputs(line, log);
            noise++;
        }
        len = 0;
    }
    if (in)
        fclose(in);
    if (log)
        fclose(log);
    if (!noise)
        unlink(log_path);
    int wst = 0;
    while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
        ;
    char msg[1024] = "";
    int code = read_status(status_path, msg, sizeof msg);
    unlink(status_path);
    if (code < 0) {
        int rc = WIFEXITED(wst) ? WEXITSTATUS(wst) : 128 + WTERMSIG(wst);
        fr_cli_error("the MPI job ended before the coordinator finished (mpirun exit %d); details in %s; rerun to resume", rc, log_path);
        return rc ? rc : 1;
    }
    if (code != 0)
        fr_cli_error("%s", msg);
    return code;
}
