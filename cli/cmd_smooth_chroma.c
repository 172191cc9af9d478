/* cmd_smooth_chroma.c: `filmrestore smooth_chroma`, an internal command for tools and tests:
 * temporal chroma smoothing (nodes/smooth.h) of ONE shot held in raw files, or the dump of the
 * flows it uses.
 *
 *   filmrestore smooth_chroma --size S --gray G.raw --chroma C.raw -o OUT.raw
 *                             [--smoothing SPEC] [--threads N] [--segment K]
 *   filmrestore smooth_chroma --size S --gray G.raw --flow-out F.raw [--threads N]
 *
 * G.raw holds n frames of S*S gray bytes, C.raw n frames of S*S*2 interleaved (Cb, Cr) bytes.
 * Frames stream through the smoother one at a time (memory stays at the window's), and with
 * --segment K the shot is cut into segments of K frames, each read again with its context as a
 * distributed pipeline would: the bytes must not change. --flow-out writes, for each pair
 * (j, j+1), the forward flow then the backward flow, as S*S (u, v) float32 pairs. One line of
 * timing goes to stderr. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "fr_opts.h"
#include "flow.h"
#include "fr_log.h"
#include "smooth.h"

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
static double now(void) { return clock_s(CLOCK_MONOTONIC); }
/* CPU seconds of the whole process: on one thread, frames per CPU second is the cost a core
 * pays, whatever else shares the machine. */
static double cpu_now(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }

static fr_status read_frame(FILE *f, const char *path, long index, size_t bytes, uint8_t *buf,
                            fr_err *err)
{
    if (fseek(f, (long)(index * (long)bytes), SEEK_SET) != 0 || fread(buf, 1, bytes, f) != bytes)
        return fr_err_set(err, FR_ERR_IO, "%s: cannot read frame %ld", path, index);
    return FR_OK;
}

static fr_status count_frames(FILE *f, const char *path, size_t bytes, long *n, fr_err *err)
{
    if (fseek(f, 0, SEEK_END) != 0)
        return fr_err_set(err, FR_ERR_IO, "%s: cannot seek", path);
    long len = ftell(f);
    if (len < 0 || len % (long)bytes)
        return fr_err_set(err, FR_ERR_INPUT, "%s: %ld bytes is not a whole number of %zu-byte frames",
                          path, len, bytes);
    *n = len / (long)bytes;
    return FR_OK;
}

static fr_status dump_flows(int size, int threads, FILE *g, const char *gpath, long n,
                            FILE *out, const char *opath, fr_err *err)
{
    fr_flow_opts fo;
    fr_flow_opts_default(&fo);
    fo.threads = threads;
    fr_flow *f = NULL;
    fr_flow_pyr *pa = NULL, *pb = NULL;
    size_t px = (size_t)size * size;
    uint8_t *buf = malloc(px);
    float *uv = malloc(2 * px * sizeof(float));
    fr_status st = buf && uv ? FR_OK : fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    if (st == FR_OK)
        st = fr_flow_new(&f, size, size, &fo, err);
    if (st == FR_OK)
        st = fr_flow_pyr_new(&pa, f, err);
    if (st == FR_OK)
        st = fr_flow_pyr_new(&pb, f, err);
    double t0 = now();
    for (long j = 0; st == FR_OK && j < n; j++) {
        if ((st = read_frame(g, gpath, j, px, buf, err)) != FR_OK)
            break;
        fr_flow_pyr *t = pa;
        pa = pb;
        pb = t;
        fr_flow_prepare(f, buf, size, pb);
        if (j == 0)
            continue;
        for (int dir = 0; dir < 2 && st == FR_OK; dir++) {
            fr_flow_compute(f, dir ? pb : pa, dir ? pa : pb, uv);
            if (fwrite(uv, sizeof(float), 2 * px, out) != 2 * px)
                st = fr_err_set(err, FR_ERR_IO, "%s: write failed", opath);
        }
    }
    if (st == FR_OK && n > 1)
        fr_info("smooth", "%ld flows at %dx%d in %.3f s (%.1f ms each, %d threads)",
                2 * (n - 1), size, size, now() - t0, 1e3 * (now() - t0) / (2.0 * (n - 1)),
                threads);
    fr_flow_pyr_free(pa);
    fr_flow_pyr_free(pb);
    fr_flow_free(f);
    free(buf);
    free(uv);
    return st;
}

static fr_status smooth_file(int size, const fr_smooth_opts *so, long segment, FILE *g,
                             const char *gpath, FILE *c, const char *cpath, long n, FILE *out,
                             const char *opath, fr_err *err)
{
    size_t px = (size_t)size * size;
    fr_smooth *s = NULL;
    uint8_t *gb = malloc(px), *cb = malloc(2 * px), *ob = malloc(2 * px);
    fr_status st = gb && cb && ob ? FR_OK : fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    if (st == FR_OK)
        st = fr_smooth_new(&s, size, so, err);
    long r = so->enabled ? so->radius : 0, done = 0;
    if (segment <= 0)
        segment = n;
    double t0 = now(), c0 = cpu_now();
    for (long a = 0; st == FR_OK && a < n; a += segment) {
        long b = a + segment < n ? a + segment : n;
        long lo = a - r > 0 ? a - r : 0, hi = b + r < n ? b + r : n;
        fr_smooth_begin(s, (int)(a - lo), (int)(b - a));
        for (long j = lo; st == FR_OK && j <= hi; j++) {
            if (j == hi) {
                fr_smooth_finish(s);
            } else {
                if ((st = read_frame(g, gpath, j, px, gb, err)) != FR_OK ||
                    (st = read_frame(c, cpath, j, 2 * px, cb, err)) != FR_OK ||
                    (st = fr_smooth_push(s, gb, cb, err)) != FR_OK)
                    break;
            }
            int idx;
            fr_status ps;
            while ((ps = fr_smooth_pop(s, ob, &idx, err)) == FR_OK) {
                if (fwrite(ob, 1, 2 * px, out) != 2 * px) {
                    st = fr_err_set(err, FR_ERR_IO, "%s: write failed", opath);
                    break;
                }
                done++;
            }
            if (ps != FR_OK && ps != FR_EOF)
                st = ps;
        }
    }
    if (st == FR_OK && done != n)
        st = fr_err_set(err, FR_ERR_INTERNAL, "smoothing wrote %ld frames of %ld", done, n);
    if (st == FR_OK) {
        double dt = now() - t0, dc = cpu_now() - c0;
        char spec[128];
        fr_smooth_opts_format(so, spec, sizeof spec);
        fr_info("smooth",
                "%ld frames at %dx%d in %.3f s: %.1f frames/s, %.1f frames per CPU second "
                "(%s, %d threads; reading and writing included)",
                n, size, size, dt, dt > 0 ? (double)n / dt : 0.0, dc > 0 ? (double)n / dc : 0.0,
                spec, so->threads);
    }
    fr_smooth_free(s);
    free(gb);
    free(cb);
    free(ob);
    return st;
}

typedef struct {
    const char *gray, *chroma, *output, *flow_out, *smoothing;
    long size, threads, segment;
} smooth_args;

#define A(f) offsetof(smooth_args, f)
static const fr_opt smooth_rows[] = {
    {"size", 0, FR_OPT_LONG, A(size), NULL, 16, 8192, "frame side in pixels (required)"},
    {"gray", 0, FR_OPT_STRING, A(gray), NULL, 0, 0, "raw gray frames, S x S uint8 each (required)"},
    {"chroma", 0, FR_OPT_STRING, A(chroma), NULL, 0, 0, "raw chroma frames, S x S x 2 uint8 each"},
    {"output", 'o', FR_OPT_STRING, A(output), NULL, 0, 0, "write the smoothed chroma there"},
    {"smoothing", 0, FR_OPT_STRING, A(smoothing), "on", 0, 0, "off, on, or radius=R,strength=X,tolerance=T"},
    {"threads", 0, FR_OPT_LONG, A(threads), "1", 0, 256, "OpenMP threads (0 = OMP_NUM_THREADS)"},
    {"segment", 0, FR_OPT_LONG, A(segment), NULL, 1, 1L << 30, "process in segments of K frames with context (same bytes)"},
    {"flow-out", 0, FR_OPT_STRING, A(flow_out), NULL, 0, 0, "write forward and backward flow of each frame pair (float32)"},
};
static const fr_opt_group smooth_group = {smooth_rows, sizeof smooth_rows / sizeof smooth_rows[0], 0, NULL};

#define USAGE                                                                                  \
    "usage: filmrestore smooth_chroma --size S --gray G.raw --chroma C.raw -o OUT.raw [OPTIONS]\n" \
    "       filmrestore smooth_chroma --size S --gray G.raw --flow-out F.raw\n"                    \
    "Smooths the chroma of one shot of raw render-size frames along motion.\n\n"

int fr_cmd_smooth_chroma(int argc, char **argv)
{
    smooth_args a;
    memset(&a, 0, sizeof a);
    fr_opts_defaults(&smooth_group, 1, &a);
    fr_smooth_opts so;
    fr_smooth_opts_default(&so);
    char *pos[1];
    int npos = 0;
    int rc = fr_opts_command(&smooth_group, 1, &a, USAGE, argc, argv, pos, 0, &npos);
    if (rc >= 0)
        return rc;
    fr_err err = {0};
    if (fr_smooth_opts_parse(&so, a.smoothing, &err) != FR_OK) {
        fr_cli_error("--smoothing: %s", err.msg);
        return 2;
    }
    const char *gpath = a.gray, *cpath = a.chroma, *opath = a.output, *fpath = a.flow_out;
    long size = a.size, threads = a.threads, segment = a.segment;
    if (!size || !gpath || (!fpath && (!cpath || !opath))) {
        fr_cli_error("smooth_chroma: give --size, --gray, and --chroma with -o, or --flow-out");
        return 2;
    }
    so.threads = (int)threads;
    size_t px = (size_t)size * size;
    FILE *g = fopen(gpath, "rb"), *c = NULL, *out = NULL;
    long n = 0, nc = 0;
    fr_status st = FR_OK;
    if (!g)
        st = fr_err_set(&err, FR_ERR_IO, "%s: cannot open", gpath);
    if (st == FR_OK)
        st = count_frames(g, gpath, px, &n, &err);
    if (st == FR_OK && fpath) {
        if (!(out = fopen(fpath, "wb")))
            st = fr_err_set(&err, FR_ERR_IO, "%s: cannot create", fpath);
        else
            st = dump_flows((int)size, (int)threads, g, gpath, n, out, fpath, &err);
    } else if (st == FR_OK) {
        if (!(c = fopen(cpath, "rb")))
            st = fr_err_set(&err, FR_ERR_IO, "%s: cannot open", cpath);
        if (st == FR_OK)
            st = count_frames(c, cpath, 2 * px, &nc, &err);
        if (st == FR_OK && nc != n)
            st = fr_err_set(&err, FR_ERR_INPUT, "%s has %ld frames but %s has %ld", gpath, n,
                            cpath, nc);
        if (st == FR_OK && !(out = fopen(opath, "wb")))
            st = fr_err_set(&err, FR_ERR_IO, "%s: cannot create", opath);
        if (st == FR_OK)
            st = smooth_file((int)size, &so, segment, g, gpath, c, cpath, n, out, opath, &err);
    }
    if (out && fclose(out) != 0 && st == FR_OK)
        st = fr_err_set(&err, FR_ERR_IO, "%s: close failed", fpath ? fpath : opath);
    if (g)
        fclose(g);
    if (c)
        fclose(c);
    if (st != FR_OK)
        fr_cli_error("smooth_chroma: %s", err.msg);
    return fr_status_exit_code(st);
}
