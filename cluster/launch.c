/* launch.c: mpirun or srun as a child process, and the launcher's side of the outcome
 * handshake and of stop signals (launch.h; the ranks' side is shared/fr_launch_rank.c).
 *
 * Four ways to start the ranks: mpirun on this machine (--oversubscribe -np N+1), mpirun on
 * the hosts of an Open MPI hostfile (--hostfile, -np N+1), mpirun on a SLURM allocation's
 * slots, and srun inside an allocation (--launcher srun, with --mpi=pmix and
 * --kill-on-bad-exit). The last two use the allocation's tasks: one is the coordinator,
 * every other a node rank.
 *
 * The status file is made by the launcher with mkstemp (unpredictable name, mode 0600) in
 * $TMPDIR or /tmp; the coordinator only rewrites that existing file and never follows a
 * symbolic link (shared/fr_launch_rank.c, the ranks' half of the handshake). A stop signal sent to the launcher (SIGTERM,
 * SIGINT, SIGHUP) is passed to mpirun (or srun) as SIGUSR1, which it forwards to every rank:
 * the coordinator then ends its loop, closes the store and removes its temporary output.
 * A second stop signal, or the launcher's own death (PR_SET_PDEATHSIG), ends mpirun with
 * SIGTERM, which kills the job at once. mpirun runs in its own process group, so a
 * terminal's ^C reaches only the launcher, which forwards it in the same way. */
#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fr_error_line.h"
#include "fr_launch_rank.h"

#define STATUS_ENV FR_LAUNCH_STATUS_ENV
#define LAUNCHER_ENV FR_LAUNCH_PID_ENV

/* Installs handler for each signal of the 0-terminated list (restarting system calls). */
static void catch_signals(void (*handler)(int), const int *sigs)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (; *sigs; sigs++)
        sigaction(*sigs, &sa, NULL);
}

/* ---- stop signals, in the launcher --------------------------------------------------------- */

static volatile sig_atomic_t child_pid, launcher_signal, forwarded;

static void on_launcher_signal(int sig)
{
    launcher_signal = sig;
    if (child_pid > 0)
        kill((pid_t)child_pid, forwarded++ ? SIGTERM : SIGUSR1);
}


static const char *signal_name(int sig)
{
    return sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : sig == SIGHUP ? "SIGHUP" : "a signal";
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

/* Tasks of the SLURM allocation this runs in (SLURM_NTASKS, else one a node), or 0. */
static long allocation_tasks(void)
{
    const char *names[] = {"SLURM_NTASKS", "SLURM_NPROCS", "SLURM_JOB_NUM_NODES"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *v = getenv(names[i]);
        char *end;
        long n = v ? strtol(v, &end, 10) : 0;
        if (v && *v && !*end && n > 0 && n < 1000000)
            return n;
    }
    return 0;
}

/* The launcher's command line before the executable: mpirun on this machine, mpirun on
 * a hostfile's hosts, mpirun or srun on an allocation's tasks (each a node rank, plus the
 * coordinator). Returns the count of words written to args (room for 24), or -1 (with
 * the error printed). np holds the rank count. */
static int launcher_words(const fr_launch_plan *p, char **args, char *np, size_t np_len)
{
    long tasks = getenv("SLURM_JOB_ID") ? allocation_tasks() : 0;
    int k = 0;
    if (!strcmp(p->launcher, "srun") && !tasks) {
        fr_error_line("--launcher srun: not inside a SLURM allocation (no SLURM_JOB_ID and SLURM_NTASKS); use sbatch or salloc");
        return -1;
    }
    snprintf(np, np_len, "%ld", (p->hostfile || !tasks ? p->ranks : tasks) + 1);
    if (!strcmp(p->launcher, "srun")) {
        const char *mpi = getenv("SLURM_MPI_TYPE");
        args[k++] = "srun";
        args[k++] = mpi && !strcmp(mpi, "pmi2") ? "--mpi=pmi2" : "--mpi=pmix";
        args[k++] = "--kill-on-bad-exit=1"; /* a lost rank ends the step: the store is the way back */
        args[k++] = "--overcommit";         /* the coordinator shares the first task's slot */
        args[k++] = "--ntasks";
        args[k++] = np;
        return k;
    }
    args[k++] = "mpirun";
    if (p->hostfile) {
        if (access(p->hostfile, R_OK) != 0) {
            fr_error_line("--hostfile %s: %s", p->hostfile, strerror(errno));
            return -1;
        }
        args[k++] = "--hostfile";
        args[k++] = (char *)p->hostfile;
    } else {
        args[k++] = "--oversubscribe"; /* locally, or the coordinator on the first slot */
    }
    args[k++] = "-np";
    args[k++] = np;
    args[k++] = "--bind-to";
    args[k++] = "none";
    /* ranks on other hosts see only what mpirun exports (a local rank inherits it all) */
    static const char *const exported[] = {STATUS_ENV, LAUNCHER_ENV, "OMP_WAIT_POLICY", "FILMRESTORE_PROGRESS_TTY",
                                           "FILMRESTORE_JOB_PROGRESS", "FILMRESTORE_JOB_ID", "FILMRESTORE_LOG"};
    for (size_t i = 0; i < sizeof exported / sizeof exported[0]; i++)
        if (getenv(exported[i])) {
            args[k++] = "-x";
            args[k++] = (char *)exported[i];
        }
    return k;
}

/* Status files of launchers that were killed (SIGKILL cannot be caught): a regular file
 * of ours, "filmrestore-status-PID-XXXXXX", whose PID no longer runs. */
static void remove_stale_status(const char *tmpdir)
{
    char pattern[PATH_MAX];
    snprintf(pattern, sizeof pattern, "%s/filmrestore-status-*-??????", tmpdir);
    glob_t g;
    if (glob(pattern, GLOB_NOSORT, NULL, &g) != 0)
        return;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        const char *name = strrchr(g.gl_pathv[i], '/') + 1 + strlen("filmrestore-status-");
        char *end;
        long pid = strtol(name, &end, 10);
        struct stat sb;
        if (pid > 1 && *end == '-' && lstat(g.gl_pathv[i], &sb) == 0 && S_ISREG(sb.st_mode) &&
            sb.st_uid == geteuid() && kill((pid_t)pid, 0) != 0 && errno == ESRCH)
            unlink(g.gl_pathv[i]);
    }
    globfree(&g);
}

int fr_launch_run(int argc, char **argv, const fr_launch_plan *plan, const char *log_path)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        fr_error_line("cannot find the filmrestore executable: %s", strerror(errno));
        return 1;
    }
    exe[n] = 0;
    const char *tmpdir = getenv("TMPDIR");
    char status_path[PATH_MAX];
    if (!tmpdir || !*tmpdir || strlen(tmpdir) > sizeof status_path - 40)
        tmpdir = "/tmp";
    remove_stale_status(tmpdir);
    snprintf(status_path, sizeof status_path, "%s/filmrestore-status-%d-XXXXXX", tmpdir, (int)getpid());
    int sfd = mkstemp(status_path);
    if (sfd < 0) {
        fr_error_line("cannot create a status file in %s: %s", tmpdir, strerror(errno));
        return 1;
    }
    close(sfd);
    setenv(STATUS_ENV, status_path, 1);
    char me[32];
    snprintf(me, sizeof me, "%d", (int)getpid());
    setenv(LAUNCHER_ENV, me, 1);
    if (geteuid() == 0) {
        setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
        setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    }
    setenv("OMPI_MCA_btl_vader_single_copy_mechanism", "none", 0);
    setenv("OMPI_MCA_mpi_yield_when_idle", "1", 0);
    setenv("OMP_WAIT_POLICY", "passive", 0); /* idle OpenMP threads sleep: ranks share cores */
    /* PMIx's shared-memory store (gds ds21) guards the job's data with a lock in shared
     * memory: a rank killed while it holds that lock leaves mpirun's PMIx server waiting for
     * it for ever (openpmix issue 1233; seen here as mpirun stuck in pmix_ds21_lock_wr_get
     * with its ranks gone, after tests/e2e/pipeline_resume.sh killed the coordinator). The
     * hash store keeps the data in the server's own memory, which a dead rank cannot lock. */
    setenv("PMIX_MCA_gds", "hash", 0);
    if (isatty(STDERR_FILENO))
        setenv("FILMRESTORE_PROGRESS_TTY", "1", 1);

    char np[32];
    char **args = calloc((size_t)argc + 32, sizeof *args);
    if (!args) {
        unlink(status_path);
        fr_error_line("out of memory");
        return 1;
    }
    int k = launcher_words(plan, args, np, sizeof np);
    if (k < 0) {
        free(args);
        unlink(status_path);
        return 2;
    }
    const char *tool = args[0];
    args[k++] = exe;
    for (int i = 0; i < argc; i++)
        args[k++] = argv[i];
    args[k] = NULL;

    int pipefd[2];
    if (pipe(pipefd) != 0) {
        free(args);
        unlink(status_path);
        fr_error_line("pipe: %s", strerror(errno));
        return 1;
    }
    /* Signals that arrive between fork and the handler's install wait, blocked. */
    sigset_t stops, old;
    sigemptyset(&stops);
    sigaddset(&stops, SIGTERM);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGHUP);
    sigprocmask(SIG_BLOCK, &stops, &old);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0); /* a terminal's ^C goes to the launcher alone */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent) /* the launcher died before prctl */
            _exit(1);
        sigprocmask(SIG_SETMASK, &old, NULL);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) {
            dup2(devnull, STDIN_FILENO);
            close(devnull);
        }
        dup2(pipefd[1], STDERR_FILENO);
        close(pipefd[0]);
        close(pipefd[1]);
        execvp(tool, args);
        fprintf(stderr, "filmrestore: cannot start %s: %s\n", tool, strerror(errno));
        _exit(127);
    }
    free(args);
    close(pipefd[1]);
    if (pid < 0) {
        sigprocmask(SIG_SETMASK, &old, NULL);
        close(pipefd[0]);
        unlink(status_path);
        fr_error_line("fork: %s", strerror(errno));
        return 1;
    }
    child_pid = pid;
    catch_signals(on_launcher_signal, (const int[]){SIGTERM, SIGINT, SIGHUP, 0});
    sigprocmask(SIG_SETMASK, &old, NULL);
    FILE *log = fopen(log_path, "w");
    FILE *in = fdopen(pipefd[0], "r");
    char line[4096];
    size_t len = 0;
    char rank_error[1024] = "", first_loss[300] = "";
    int noise = 0, c;
    /* Lines end at '\n' or '\r' (a progress bar redraws with '\r'). */
    for (;;) {
        if (!in)
            break;
        c = getc(in);
        if (c == EOF && ferror(in) && errno == EINTR) {
            clearerr(in);
            continue;
        }
        if (c == EOF)
            break;
        if (len < sizeof line - 1)
            line[len++] = (char)c;
        if (c != '\n' && c != '\r')
            continue;
        line[len] = 0;
        const char *text = line[0] == '\r' ? line + 1 : line;
        if (text[0] == '[' || (len == 1 && c == '\r') ) {
            fputs(line, stderr);
            fflush(stderr);
        } else if (!strncmp(text, "filmrestore:", 12)) { /* a rank's own error line: kept for the end */
            snprintf(rank_error, sizeof rank_error, "%s", text + (text[12] == ' ' ? 13 : 12));
            rank_error[strcspn(rank_error, "\r\n")] = 0;
        } else if (log) {
            fputs(line, log);
            noise++;
        }
        if (!first_loss[0] && (!strncmp(text, "srun: error: ", 13) || strstr(text, "exited on signal")) &&
            (strstr(text, ": task") || strstr(text, "process rank"))) { /* which rank died, and where */
            snprintf(first_loss, sizeof first_loss, "%.299s", text);
            first_loss[strcspn(first_loss, "\r\n")] = 0;
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
    if (launcher_signal) {
        fr_error_line("stopped by %s%s%s", signal_name(launcher_signal), code > 0 && msg[0] ? ": " : "; rerun to resume",
                     code > 0 && msg[0] ? msg : "");
        return 128 + launcher_signal;
    }
    if (code < 0) { /* the coordinator wrote no outcome: it ran where the status file is not */
        int rc = WIFEXITED(wst) ? WEXITSTATUS(wst) : 128 + WTERMSIG(wst);
        if (rc == 0)
            return 0;
        if (rank_error[0]) {
            fr_error_line("%s", rank_error);
            return rc;
        }
        fr_error_line("the MPI job ended before the coordinator finished (%s exit %d%s%s); details in %s; rerun to resume", tool, rc,
                     first_loss[0] ? ": " : "", first_loss, log_path);
        return rc ? rc : 1;
    }
    if (code != 0)
        fr_error_line("%s", msg);
    return code;
}
