/* progress.c: terminal bar and plain-line progress reporting, the hook that
 * other sinks (the job service) take events from (one reporter's, or the
 * default every new reporter starts with), and the frame-count
 * estimate used until decoding ends (progress.h). */
#include "progress.h"

#include "fr_log.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct fr_progress {
    FILE *f;
    int tty;
    double start, stage_start, last_print;
    const char *stage;
    int64_t stage_first;
    fr_progress_hook hook;
    void *hook_ctx;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static fr_progress_hook default_hook;
static void *default_hook_ctx;

void fr_progress_set_default_hook(fr_progress_hook hook, void *ctx)
{
    default_hook = hook;
    default_hook_ctx = ctx;
}

fr_progress *fr_progress_new(FILE *f)
{
    fr_progress *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->f = f;
    p->tty = isatty(fileno(f)) || getenv("FILMRESTORE_PROGRESS_TTY") != NULL;
    p->start = p->last_print = now();
    p->hook = default_hook;
    p->hook_ctx = default_hook_ctx;
    return p;
}

void fr_progress_set_hook(fr_progress *p, fr_progress_hook hook, void *ctx)
{
    p->hook = hook;
    p->hook_ctx = ctx;
}

int64_t fr_progress_total_estimate(int64_t nb_frames, double duration_s, int rate_num, int rate_den)
{
    if (nb_frames > 0)
        return nb_frames;
    if (duration_s > 0 && rate_num > 0 && rate_den > 0)
        return (int64_t)llround(duration_s * rate_num / rate_den);
    return -1;
}

/* The event with the stage's rate and the time left filled in. */
static fr_progress_rate rated(const fr_progress *p, const fr_progress_event *ev, double t)
{
    fr_progress_rate e = {t - p->start, 0, -1};
    double secs = t - p->stage_start;
    e.fps = secs > 0 ? (double)(ev->done - p->stage_first) / secs : 0;
    if (ev->total >= 0 && ev->done >= ev->total)
        e.eta_s = 0;
    else if (ev->total > 0 && e.fps > 0)
        e.eta_s = (double)(ev->total - ev->done) / e.fps;
    return e;
}

static void print(fr_progress *p, const fr_progress_event *ev, double t, int final)
{
    if (fr_log_get_level() < FR_LOG_INFO) /* progress is an info line: quiet below it */
        return;
    fr_progress_rate e = rated(p, ev, t);
    double fps = e.fps;
    char eta[32] = "--:--";
    if (e.eta_s >= 0) {
        long s = (long)e.eta_s;
        snprintf(eta, sizeof eta, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    }
    char total[32] = "?";
    if (ev->total >= 0)
        snprintf(total, sizeof total, "%lld", (long long)ev->total);
    char ranks[32] = "";
    if (ev->ranks > 0)
        snprintf(ranks, sizeof ranks, "  ranks busy %d/%d", ev->ranks_busy, ev->ranks);
    if (p->tty) {
        int width = 30, fill = ev->total > 0 ? (int)(width * ev->done / ev->total) : 0;
        char bar[64];
        memset(bar, '#', (size_t)fill);
        memset(bar + fill, '.', (size_t)(width - fill));
        bar[width] = 0;
        fprintf(p->f, "\r[%s] [%s] %lld/%s frames  %.1f fps  ETA %s%s%s", ev->stage, bar,
                (long long)ev->done, total, fps, eta, ranks, final ? "\n" : "");
    } else {
        fprintf(p->f, "[progress] %s %lld/%s frames %.1f fps eta %s%s\n", ev->stage,
                (long long)ev->done, total, fps, eta, ranks);
    }
    fflush(p->f);
}

void fr_progress_report(fr_progress *p, const fr_progress_event *ev)
{
    if (!p)
        return;
    double t = now();
    if (!p->stage || strcmp(p->stage, ev->stage)) {
        p->stage = ev->stage;
        p->stage_start = t;
        p->stage_first = ev->done;
        p->last_print = 0; /* a new stage is shown at once */
    }
    if (p->hook) {
        fr_progress_rate e = rated(p, ev, t);
        p->hook(p->hook_ctx, ev, &e);
    }
    if (t - p->last_print >= (p->tty ? 0.2 : 5.0)) {
        p->last_print = t;
        print(p, ev, t, 0);
    }
}

void fr_progress_done(fr_progress *p, const fr_progress_event *ev)
{
    if (!p)
        return;
    if (!p->stage || strcmp(p->stage, ev->stage)) {
        p->stage = ev->stage;
        p->stage_start = now();
        p->stage_first = 0;
    }
    double t = now();
    if (p->hook) {
        fr_progress_rate e = rated(p, ev, t);
        p->hook(p->hook_ctx, ev, &e);
    }
    print(p, ev, t, 1);
    p->stage = NULL;
}

void fr_progress_free(fr_progress *p) { free(p); }
