/* cmd_shots.c: `filmrestore shots INPUT`: the film's shots, as an editor's list.
 *
 * Decodes the film once (shared/fr_video_in.h), feeds every frame's luma to
 * the streaming detector (shots.h) and writes one row per shot:
 *   csv          shot,start_frame,end_frame,start_time,end_time,transition,confidence
 *                (0-based frames, end exclusive; seconds from the first frame's
 *                timestamp; transition cut|gradual|start; the confidence, 0..1, of
 *                the boundary that opens the shot, 1 for the first)
 *   json         the same rows as objects, with the film's rate and frame count
 *   scenedetect  PySceneDetect's scene list: a "Timecode List:" row, then its ten
 *                columns with 1-based frames (End Frame is the last frame)
 *   edl          a CMX 3600 edit decision list, one cut event per shot, timecodes
 *                at the film's rate rounded to whole frames a second (non-drop);
 *                comment lines give each boundary's confidence and mark for review
 *                those under --min-confidence
 * --min-confidence X is an editor's review list: csv and json keep only the shots whose
 * opening boundary is less sure than X (numbered and timed as in the whole list); the
 * EDL and the scene list stay whole, since a timeline cannot have holes.
 * The command's options and the detector's settings (shots_settings.c) are
 * option tables (fr_opts.h) that drive getopt_long, range checks and --help. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "fr_log.h"
#include "fr_video_in.h"
#include "shots.h"
#include "shots_settings.h"

#define PTS_RING 4096 /* timestamps kept for boundaries still to come: far above the lag */

typedef struct {
    int64_t start, end;   /* frames, end exclusive */
    double t0, t1;        /* seconds */
    const char *transition;
    float confidence;     /* of the boundary that opens the shot */
} shot_row;

typedef struct {
    shot_row *rows;
    size_t n, cap;
} shot_list;

static int push_row(shot_list *l, shot_row r)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        shot_row *p = realloc(l->rows, cap * sizeof *p);
        if (!p)
            return 0;
        l->rows = p;
        l->cap = cap;
    }
    l->rows[l->n++] = r;
    return 1;
}

/* "HH:MM:SS.mmm" */
static void clock_text(double s, char *buf, size_t n)
{
    if (s < 0)
        s = 0;
    long long ms = llround(s * 1000.0);
    snprintf(buf, n, "%02lld:%02lld:%02lld.%03lld", ms / 3600000, ms / 60000 % 60, ms / 1000 % 60,
             ms % 1000);
}

/* "HH:MM:SS:FF" at fps whole frames a second */
static void timecode(int64_t frame, int fps, char *buf, size_t n)
{
    long long f = frame, s = f / fps;
    snprintf(buf, n, "%02lld:%02lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60, f % fps);
}

/* 1 when row i is listed: every row, or with a review threshold those under it. */
static int listed(const shot_list *l, size_t i, double review)
{
    return review <= 0 || l->rows[i].confidence < review;
}

static void write_csv(FILE *f, const shot_list *l, double review)
{
    fprintf(f, "shot,start_frame,end_frame,start_time,end_time,transition,confidence\n");
    for (size_t i = 0; i < l->n; i++) {
        const shot_row *r = &l->rows[i];
        if (listed(l, i, review))
            fprintf(f, "%zu,%lld,%lld,%.3f,%.3f,%s,%.2f\n", i, (long long)r->start, (long long)r->end, r->t0,
                    r->t1, r->transition, r->confidence);
    }
}

static void write_json(FILE *f, const shot_list *l, const char *input, const fr_video_info *vi,
                       int64_t frames, double review)
{
    fprintf(f, "{\n  \"input\": \"");
    for (const char *c = input; *c; c++) {
        if (*c == '"' || *c == '\\')
            fputc('\\', f);
        if ((unsigned char)*c < 0x20)
            fprintf(f, "\\u%04x", *c);
        else
            fputc(*c, f);
    }
    fprintf(f, "\",\n  \"frame_rate\": \"%d/%d\",\n  \"frames\": %lld,\n  \"shots\": [", vi->frame_rate.num,
            vi->frame_rate.den, (long long)frames);
    int first = 1;
    for (size_t i = 0; i < l->n; i++) {
        const shot_row *r = &l->rows[i];
        if (!listed(l, i, review))
            continue;
        fprintf(f, "%s\n    {\"shot\": %zu, \"start_frame\": %lld, \"end_frame\": %lld, "
                   "\"start_time\": %.3f, \"end_time\": %.3f, \"transition\": \"%s\", \"confidence\": %.2f}",
                first ? "" : ",", i, (long long)r->start, (long long)r->end, r->t0, r->t1, r->transition,
                r->confidence);
        first = 0;
    }
    fprintf(f, "\n  ]\n}\n");
}

static void write_scenedetect(FILE *f, const shot_list *l)
{
    char a[32], b[32], c[32];
    fprintf(f, "Timecode List:");
    for (size_t i = 1; i < l->n; i++) {
        clock_text(l->rows[i].t0, a, sizeof a);
        fprintf(f, ",%s", a);
    }
    fprintf(f, "\nScene Number,Start Frame,Start Timecode,Start Time (seconds),End Frame,"
               "End Timecode,End Time (seconds),Length (frames),Length (timecode),Length (seconds)\n");
    for (size_t i = 0; i < l->n; i++) {
        const shot_row *r = &l->rows[i];
        clock_text(r->t0, a, sizeof a);
        clock_text(r->t1, b, sizeof b);
        clock_text(r->t1 - r->t0, c, sizeof c);
        fprintf(f, "%zu,%lld,%s,%.3f,%lld,%s,%.3f,%lld,%s,%.3f\n", i + 1, (long long)r->start + 1, a,
                r->t0, (long long)r->end, b, r->t1, (long long)(r->end - r->start), c, r->t1 - r->t0);
    }
}

static void write_edl(FILE *f, const shot_list *l, const char *input, const fr_video_info *vi, double review)
{
    double rate = vi->frame_rate.num > 0 && vi->frame_rate.den > 0 ? av_q2d(vi->frame_rate) : 25.0;
    int fps = (int)lround(rate);
    if (fps < 1)
        fps = 1;
    const char *base = strrchr(input, '/');
    base = base ? base + 1 : input;
    fprintf(f, "TITLE: %s\nFCM: NON-DROP FRAME\n\n", base);
    for (size_t i = 0; i < l->n; i++) {
        const shot_row *r = &l->rows[i];
        char in[64], out[64];
        timecode(r->start, fps, in, sizeof in);
        timecode(r->end, fps, out, sizeof out);
        fprintf(f, "%03zu  AX       V     C        %s %s %s %s\n", (i + 1) % 1000, in, out, in, out);
        fprintf(f, "* FROM CLIP NAME: %s\n* SHOT %zu OPENS WITH: %s\n", base, i, r->transition);
        if (i > 0)
            fprintf(f, "* CONFIDENCE: %.2f\n", r->confidence);
        if (i > 0 && r->confidence < review)
            fprintf(f, "* REVIEW: an uncertain %s, confidence %.2f under %.2f\n", r->transition, r->confidence, review);
        fputc('\n', f);
    }
}

typedef struct {
    const char *input, *output, *trace, *format;
    long decode_only;
    double min_confidence;
    fr_shots_opts o;
} shots_args;

#define A(f) offsetof(shots_args, f)
static const fr_opt cmd_rows[] = {
    {"format", 'f', FR_OPT_STRING, A(format), "csv", 0, 0, "csv, json, scenedetect or edl"},
    {"output", 'o', FR_OPT_STRING, A(output), NULL, 0, 0, "write there instead of stdout"},
    {"trace", 0, FR_OPT_STRING, A(trace), NULL, 0, 0, "per-frame detector measures as CSV (for tuning)"},
    {"min-confidence", 0, FR_OPT_DOUBLE, A(min_confidence), "0", 0, 1,
     "review list: only the shots opening on a boundary less sure than this (csv, json); the EDL marks them"},
    {"decode-only", 0, FR_OPT_FLAG, A(decode_only), NULL, 0, 1, "decode without detecting, and report the speed"},
};
#undef A

static size_t groups(fr_opt_group g[2])
{
    return fr_shots_command_groups(g, cmd_rows, sizeof cmd_rows / sizeof cmd_rows[0], offsetof(shots_args, o),
                                   "detector settings");
}

static void defaults(shots_args *a)
{
    fr_opt_group g[2];
    memset(a, 0, sizeof *a);
    fr_shots_defaults(&a->o);
    fr_opts_defaults(g, groups(g), a);
}

static void usage(FILE *f)
{
    shots_args d;
    fr_opt_group g[2];
    defaults(&d);
    fprintf(f, "usage: filmrestore shots [OPTIONS] INPUT\n\n"
               "Lists the shots of a film: hard cuts and gradual transitions (dissolves, fades),\n"
               "ignoring flicker, grain and flashes. One row per shot on stdout.\n\n");
    fr_opts_help(f, g, groups(g), &d);
}

/* Returns -1 to go on, else the exit code. */
static int parse(shots_args *a, int argc, char **argv)
{
    fr_opt_group g[2];
    fr_err err = {0};
    char *pos[2];
    int npos = 0;
    defaults(a);
    fr_status st = fr_opts_getopt(g, groups(g), a, argc, argv, pos, 2, &npos, &err);
    if (st == FR_EOF) {
        usage(stdout);
        return 0;
    }
    if (st != FR_OK) {
        fr_cli_error("%s (see 'filmrestore shots --help')", err.msg);
        return 2;
    }
    if (strcmp(a->format, "csv") && strcmp(a->format, "json") && strcmp(a->format, "scenedetect") &&
        strcmp(a->format, "edl")) {
        fr_cli_error("--format: '%s' is not csv, json, scenedetect or edl", a->format);
        return 2;
    }
    if (npos != 1) {
        fr_cli_error("shots: expected one INPUT (see 'filmrestore shots --help')");
        return 2;
    }
    a->input = pos[0];
    return -1;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The shot still open while decoding goes on. */
typedef struct {
    int64_t at;        /* its first frame */
    double t;          /* its start time */
    const char *kind;  /* the transition that opened it */
    float confidence;  /* and its confidence */
    int64_t first_pts; /* of frame 0: times count from it */
} open_state;

/* Closes the open shot at each confirmed boundary. */
static fr_status drain(fr_shots *s, open_state *os, const int64_t *pts, double tb, shot_list *l,
                       fr_err *err)
{
    fr_shot_boundary b;
    while (fr_shots_pop(s, &b)) {
        double t = (double)(pts[b.frame % PTS_RING] - os->first_pts) * tb;
        if (!push_row(l, (shot_row){os->at, b.frame, os->t, t, os->kind, os->confidence}))
            return fr_err_set(err, FR_ERR_NOMEM, "shots: out of memory");
        os->at = b.frame;
        os->t = t;
        os->kind = b.kind == FR_SHOT_CUT ? "cut" : "gradual";
        os->confidence = b.confidence;
    }
    return FR_OK;
}

/* Decodes INPUT, detects, and fills the shot list. */
static fr_status detect(const shots_args *a, fr_video_in *v, shot_list *l, int64_t *frames, fr_err *err)
{
    const fr_video_info *vi = fr_video_in_info(v);
    double tb = av_q2d(vi->time_base);
    int64_t *pts = malloc(PTS_RING * sizeof *pts);
    fr_shots *s = NULL;
    FILE *trace = NULL;
    fr_status st = FR_OK;
    if (!pts)
        return fr_err_set(err, FR_ERR_NOMEM, "shots: out of memory");
    if (!a->decode_only && (st = fr_shots_new(&s, &a->o, err)) != FR_OK)
        goto out;
    if (s && fr_shots_lag(s) >= PTS_RING) { /* cannot happen within the options' ranges */
        st = fr_err_set(err, FR_ERR_INTERNAL, "shots: lag %d over %d frames", fr_shots_lag(s), PTS_RING);
        goto out;
    }
    if (a->trace && s) {
        if (!(trace = fopen(a->trace, "w"))) {
            st = fr_err_set(err, FR_ERR_IO, "open %s for writing: %s", a->trace, strerror(errno));
            goto out;
        }
        fr_shots_set_trace(s, trace);
    }
    open_state os = {.kind = "start", .confidence = 1.0f};
    int64_t n = 0, last_pts = 0, last_dur = 0;
    fr_frame fr;
    double t_start = now();
    for (;;) {
        st = fr_video_in_read(v, &fr, err);
        if (st == FR_EOF)
            break;
        if (st == FR_ERR_INPUT && n > 0) {
            /* a damaged tail: the shots found so far are still worth having */
            fr_warn("shots", "%s; listing the shots of the %lld frames decoded", err->msg, (long long)n);
            break;
        }
        if (st != FR_OK)
            goto out;
        if (n == 0)
            os.first_pts = fr.pts;
        else
            last_dur = fr.pts - last_pts;
        last_pts = fr.pts;
        pts[n % PTS_RING] = fr.pts;
        if (s && (st = fr_shots_push(s, &fr.luma, n, err)) != FR_OK)
            goto out;
        n++;
        if (s && (st = drain(s, &os, pts, tb, l, err)) != FR_OK)
            goto out;
    }
    st = FR_OK;
    if (s && ((st = fr_shots_finish(s, err)) != FR_OK || (st = drain(s, &os, pts, tb, l, err)) != FR_OK))
        goto out;
    double secs = now() - t_start;
    if (n > 0) {
        if (last_dur <= 0)
            last_dur = vi->frame_rate.num > 0 ? (int64_t)llround(1.0 / (av_q2d(vi->frame_rate) * tb)) : 1;
        if (!push_row(l, (shot_row){os.at, n, os.t, (double)(last_pts + last_dur - os.first_pts) * tb,
                                    os.kind, os.confidence})) {
            st = fr_err_set(err, FR_ERR_NOMEM, "shots: out of memory");
            goto out;
        }
    }
    *frames = n;
    fr_log(a->decode_only ? FR_LOG_WARN : FR_LOG_INFO, "shots",
           "%lld frames in %.3f s (%.1f frames/s)%s, %zu shots", (long long)n, secs,
           secs > 0 ? (double)n / secs : 0.0, a->decode_only ? ", decode only" : "", l->n);
out:
    if (trace && fclose(trace) != 0 && st == FR_OK)
        st = fr_err_set(err, FR_ERR_IO, "write %s failed", a->trace);
    fr_shots_free(s);
    free(pts);
    return st;
}

int fr_cmd_shots(int argc, char **argv)
{
    shots_args a;
    int rc = parse(&a, argc, argv);
    if (rc >= 0)
        return rc;
    fr_err err = {0};
    fr_video_in *v = NULL;
    shot_list l = {0};
    int64_t frames = 0;
    FILE *out = stdout;
    fr_status st = fr_video_in_open(&v, a.input, &err);
    /* open the output first: a bad path should not cost a whole decode */
    if (st == FR_OK && a.output && !a.decode_only && !(out = fopen(a.output, "w")))
        st = fr_err_set(&err, FR_ERR_IO, "open %s for writing: %s", a.output, strerror(errno));
    if (st == FR_OK)
        st = detect(&a, v, &l, &frames, &err);
    if (st == FR_OK && !a.decode_only) {
        if (!strcmp(a.format, "csv"))
            write_csv(out, &l, a.min_confidence);
        else if (!strcmp(a.format, "json"))
            write_json(out, &l, a.input, fr_video_in_info(v), frames, a.min_confidence);
        else if (!strcmp(a.format, "scenedetect"))
            write_scenedetect(out, &l);
        else
            write_edl(out, &l, a.input, fr_video_in_info(v), a.min_confidence);
        if (fflush(out) != 0 || ferror(out))
            st = fr_err_set(&err, FR_ERR_IO, "write %s: %s", a.output ? a.output : "stdout", strerror(errno));
    }
    if (out && out != stdout && fclose(out) != 0 && st == FR_OK)
        st = fr_err_set(&err, FR_ERR_IO, "write %s: %s", a.output, strerror(errno));
    if (st != FR_OK)
        fr_cli_error("shots: %s", err.msg);
    free(l.rows);
    fr_video_in_free(v);
    return fr_status_exit_code(st);
}
