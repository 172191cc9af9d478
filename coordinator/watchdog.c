/* watchdog.c: a thread that ends a run whose node rank is stopped or hung (watchdog.h). */
#include "watchdog.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fr_error_line.h"
#include "fr_launch_rank.h"

#define TICK_NS 250000000L /* the thread's look, four times a second */

typedef struct {
    fr_watchdog_job job;
    double since;       /* when this job first appeared */
} slot;

struct fr_watchdog {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int running, quit;
    int nodes;
    long timeout;
    char store_path[1100];
    slot *slots;        /* [1..nodes] */
    double last_update; /* the scheduler's last turn */
    int next_rank;      /* the node its next job goes to */
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

long fr_watchdog_timeout(void)
{
    const char *v = getenv("FILMRESTORE_JOB_TIMEOUT");
    char *end = NULL;
    long t = v ? strtol(v, &end, 10) : 0;
    return v && end != v && *end == 0 && t > 0 ? t : FR_JOB_TIMEOUT_DEFAULT;
}

/* One line, as every failing run ends, then out: the launcher prints the line. */
static void fire(const char *msg)
{
    if (!fr_launch_report(1, msg))
        fr_error_line("%s", msg);
    fflush(NULL);
    _exit(1);
}

static void *watch(void *arg)
{
    fr_watchdog *wd = arg;
    pthread_mutex_lock(&wd->mu);
    while (!wd->quit) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += TICK_NS;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&wd->cv, &wd->mu, &until);
        if (wd->quit)
            break;
        double t = now_s();
        char msg[1600];
        msg[0] = 0;
        for (int rank = 1; rank <= wd->nodes && !msg[0]; rank++) {
            const slot *s = &wd->slots[rank];
            if (s->job.busy && t - s->since > (double)wd->timeout)
                snprintf(msg, sizeof msg,
                         "node %d has worked on %s %lld (frames %lld-%lld) for more than %ld s (FILMRESTORE_JOB_TIMEOUT): "
                         "it is stopped or hung; the run ends, store %s keeps its finished segments: rerun to resume",
                         rank, s->job.features ? "the shot features of chunk" : "segment", (long long)s->job.index,
                         (long long)s->job.first, (long long)s->job.last, wd->timeout, wd->store_path);
        }
        if (!msg[0] && t - wd->last_update > (double)wd->timeout && wd->next_rank > 0)
            snprintf(msg, sizeof msg,
                     "the scheduler has waited more than %ld s (FILMRESTORE_JOB_TIMEOUT) to hand node %d its next job: "
                     "the node is stopped or hung; the run ends, store %s keeps its finished segments: rerun to resume",
                     wd->timeout, wd->next_rank, wd->store_path);
        else if (!msg[0] && t - wd->last_update > (double)wd->timeout)
            snprintf(msg, sizeof msg,
                     "the scheduler has been blocked for more than %ld s (FILMRESTORE_JOB_TIMEOUT); the run ends, "
                     "store %s keeps its finished segments: rerun to resume", wd->timeout, wd->store_path);
        if (msg[0])
            fire(msg); /* does not return; the lock dies with the process */
    }
    pthread_mutex_unlock(&wd->mu);
    return NULL;
}

fr_status fr_watchdog_start(fr_watchdog **out, int nodes, const char *store_path, fr_err *err)
{
    *out = NULL;
    fr_watchdog *wd = calloc(1, sizeof *wd);
    if (!wd || !(wd->slots = calloc((size_t)nodes + 1, sizeof *wd->slots))) {
        free(wd);
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    }
    wd->nodes = nodes;
    wd->timeout = fr_watchdog_timeout();
    snprintf(wd->store_path, sizeof wd->store_path, "%s", store_path);
    wd->last_update = now_s();
    if (pthread_mutex_init(&wd->mu, NULL) != 0 || pthread_cond_init(&wd->cv, NULL) != 0) {
        free(wd->slots);
        free(wd);
        return fr_err_set(err, FR_ERR_INTERNAL, "cannot make the watchdog's lock");
    }
    if (pthread_create(&wd->thread, NULL, watch, wd) != 0) {
        fr_watchdog_free(wd);
        return fr_err_set(err, FR_ERR_INTERNAL, "cannot start the watchdog's thread");
    }
    wd->running = 1;
    *out = wd;
    return FR_OK;
}

void fr_watchdog_update(fr_watchdog *wd, const fr_watchdog_job *jobs, int next_rank)
{
    double t = now_s();
    pthread_mutex_lock(&wd->mu);
    for (int rank = 1; rank <= wd->nodes; rank++) {
        slot *s = &wd->slots[rank];
        const fr_watchdog_job *j = &jobs[rank];
        if (j->busy != s->job.busy || j->features != s->job.features || j->index != s->job.index) {
            s->job = *j;
            s->since = t;
        }
    }
    wd->last_update = t;
    wd->next_rank = next_rank;
    pthread_mutex_unlock(&wd->mu);
}

void fr_watchdog_free(fr_watchdog *wd)
{
    if (!wd)
        return;
    if (wd->running) {
        pthread_mutex_lock(&wd->mu);
        wd->quit = 1;
        pthread_cond_signal(&wd->cv);
        pthread_mutex_unlock(&wd->mu);
        pthread_join(wd->thread, NULL);
    }
    pthread_cond_destroy(&wd->cv);
    pthread_mutex_destroy(&wd->mu);
    free(wd->slots);
    free(wd);
}
