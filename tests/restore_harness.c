/* restore_harness.c: a test-only driver of the restoration filters (nodes/restore.h), for
 * tools/eval-restore and speed checks while `filmrestore run --restore` is being wired.
 *
 * Reads raw gray frames on stdin (8-bit: one byte a sample; 9..16 bits: two, little-endian,
 * as ffmpeg's gray16le), runs a chain of filters over them as one shot, and writes the
 * restored frames on stdout in the same format. The input is processed in segments of S
 * frames, each given its chain's context (the sum of the radii) on both sides, clipped to
 * the clip, exactly as nodes give segments; by the filters' locality rule the bytes equal
 * one pass over the whole clip (--segment 0 does that pass, holding every frame).
 *
 * usage: restore_harness -s WxH [-b BITS] [--limited] [--segment S] [--threads T]
 *                        [--first F] [--time] FILTER[=STRENGTH] ...
 * FILTER is deflicker, dust, scratches, denoise or regrain (strength defaults to 1); with
 * --time, each filter's frames per second (over the frames it wrote, context included) go
 * to stderr. Exit status: 0, 2 on bad arguments, 1 on other errors. */
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "restore.h"

#define MAX_STAGES 8

typedef struct {
    const fr_restore_filter *f;
    double strength;
    void *ctx;
    double seconds;
    long frames;
} stage;

static const fr_restore_filter *lookup(const char *name)
{
    const fr_restore_filter *all[] = {&fr_restore_deflicker, &fr_restore_dust, &fr_restore_scratches,
                                      &fr_restore_denoise, &fr_restore_regrain};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (!strcmp(all[i]->name, name))
            return all[i];
    return NULL;
}

static int usage(const char *msg)
{
    fprintf(stderr, "restore_harness: %s\nusage: restore_harness -s WxH [-b BITS] [--limited] "
                    "[--segment S] [--threads T] [--first F] [--time] FILTER[=STRENGTH] ...\n",
            msg);
    return 2;
}

static int read_frame(uint16_t *dst, size_t px, int bits, uint8_t *buf)
{
    size_t bps = bits > 8 ? 2 : 1;
    if (fread(buf, bps, px, stdin) != px)
        return 0;
    if (bps == 1)
        for (size_t i = 0; i < px; i++)
            dst[i] = buf[i];
    else
        for (size_t i = 0; i < px; i++)
            dst[i] = (uint16_t)(buf[2 * i] | buf[2 * i + 1] << 8);
    return 1;
}

static int write_frame(const uint16_t *src, size_t px, int bits, uint8_t *buf)
{
    size_t bps = bits > 8 ? 2 : 1;
    if (bps == 1)
        for (size_t i = 0; i < px; i++)
            buf[i] = (uint8_t)src[i];
    else
        for (size_t i = 0; i < px; i++) {
            buf[2 * i] = (uint8_t)(src[i] & 0xff);
            buf[2 * i + 1] = (uint8_t)(src[i] >> 8);
        }
    return fwrite(buf, bps, px, stdout) == px;
}

int main(int argc, char **argv)
{
    int w = 0, h = 0, bits = 8, full = 1, seg = 64, threads = 0, timing = 0, ns = 0;
    long long first = 0;
    stage st[MAX_STAGES];
    memset(st, 0, sizeof st);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-s") && i + 1 < argc) {
            if (sscanf(argv[++i], "%dx%d", &w, &h) != 2 || w < 1 || h < 1)
                return usage("-s: expected WxH");
        } else if (!strcmp(a, "-b") && i + 1 < argc) {
            bits = atoi(argv[++i]);
            if (bits < 8 || bits > 16)
                return usage("-b: 8..16");
        } else if (!strcmp(a, "--limited")) {
            full = 0;
        } else if (!strcmp(a, "--segment") && i + 1 < argc) {
            seg = atoi(argv[++i]);
            if (seg < 0)
                return usage("--segment: >= 0");
        } else if (!strcmp(a, "--threads") && i + 1 < argc) {
            threads = atoi(argv[++i]);
        } else if (!strcmp(a, "--first") && i + 1 < argc) {
            first = atoll(argv[++i]);
        } else if (!strcmp(a, "--time")) {
            timing = 1;
        } else {
            char name[32];
            double s = 1.0;
            const char *eq = strchr(a, '=');
            size_t len = eq ? (size_t)(eq - a) : strlen(a);
            if (len >= sizeof name)
                return usage("unknown filter");
            memcpy(name, a, len);
            name[len] = 0;
            if (eq && sscanf(eq + 1, "%lf", &s) != 1)
                return usage("bad strength");
            if (ns == MAX_STAGES)
                return usage("too many filters");
            if (!(st[ns].f = lookup(name))) {
                fprintf(stderr, "restore_harness: unknown filter '%s'\n", name);
                return 2;
            }
            st[ns++].strength = s;
        }
    }
    if (!w || !h)
        return usage("-s WxH is required");
    fr_err err = {0};
    int ctx_r = 0;
    for (int k = 0; k < ns; k++) {
        if (st[k].f->open(&st[k].ctx, w, h, bits, st[k].strength, threads, &err) != FR_OK) {
            fprintf(stderr, "restore_harness: %s\n", err.msg);
            while (k-- > 0)
                st[k].f->close(st[k].ctx);
            return 1;
        }
        ctx_r += st[k].f->radius(st[k].strength);
    }
    size_t px = (size_t)w * h;
    uint8_t *io = malloc(px * 2);
    /* frames held: a growing array (segment 0) or a sliding one */
    size_t cap = 0, held = 0;
    long long base = 0; /* clip index of held[0] */
    uint16_t **frames = NULL;
    int eof = 0, rc = 0;
    long long next_out = 0;
    uint16_t **buf[2] = {NULL, NULL};
    size_t bufcap = 0;
    if (!io)
        return 1;
    while (!eof || next_out < base + (long long)held) {
        /* read until the segment's context is held or the input ends */
        long long seg_end = seg ? next_out + seg : -1;
        while (!eof && (seg == 0 || base + (long long)held < seg_end + ctx_r)) {
            if (held == cap) {
                size_t nc = cap ? cap * 2 : 64;
                uint16_t **nf = realloc(frames, nc * sizeof *nf);
                if (!nf)
                    return 1;
                frames = nf;
                cap = nc;
            }
            uint16_t *f = malloc(px * sizeof(uint16_t));
            if (!f)
                return 1;
            if (!read_frame(f, px, bits, io)) {
                free(f);
                eof = 1;
                break;
            }
            frames[held++] = f;
        }
        long long total_known = base + (long long)held;
        if (next_out >= total_known)
            break;
        long long a = next_out, b = seg ? (seg_end < total_known ? seg_end : total_known) : total_known;
        long long lo = a - ctx_r < base ? base : a - ctx_r;
        long long hi = b + ctx_r > total_known ? total_known : b + ctx_r;
        int n = (int)(hi - lo);
        if ((size_t)n > bufcap) {
            for (int s = 0; s < 2; s++) {
                uint16_t **nb = realloc(buf[s], (size_t)n * sizeof *nb);
                if (!nb)
                    return 1;
                for (size_t i = bufcap; i < (size_t)n; i++)
                    if (!(nb[i] = malloc(px * sizeof(uint16_t))))
                        return 1;
                buf[s] = nb;
            }
            bufcap = (size_t)n;
        }
        fr_luma_window win[2];
        for (int s = 0; s < 2; s++) {
            win[s].width = w;
            win[s].height = h;
            win[s].bits = bits;
            win[s].full_range = full;
            win[s].n = n;
            win[s].first_index = first + lo;
        }
        win[0].frame = buf[0];
        win[1].frame = buf[1];
        for (int i = 0; i < n; i++)
            memcpy(buf[0][i], frames[lo - base + i], px * sizeof(uint16_t));
        int cur = 0;
        for (int k = 0; k < ns; k++) {
            double t0 = omp_get_wtime();
            if (st[k].f->run(st[k].ctx, &win[cur], &win[1 - cur], &err) != FR_OK) {
                fprintf(stderr, "restore_harness: %s\n", err.msg);
                return 1;
            }
            st[k].seconds += omp_get_wtime() - t0;
            st[k].frames += n;
            cur = 1 - cur;
        }
        for (long long i = a; i < b; i++)
            if (!write_frame(buf[cur][i - lo], px, bits, io)) {
                fprintf(stderr, "restore_harness: write failed\n");
                return 1;
            }
        next_out = b;
        /* drop frames no later segment needs */
        if (seg) {
            long long keep = next_out - ctx_r;
            size_t drop = 0;
            while (drop < held && base + (long long)drop < keep)
                free(frames[drop++]);
            memmove(frames, frames + drop, (held - drop) * sizeof *frames);
            held -= drop;
            base += (long long)drop;
        }
    }
    if (fflush(stdout) != 0)
        rc = 1;
    for (int k = 0; k < ns; k++) {
        if (timing)
            fprintf(stderr, "%s: %ld frames in %.3f s: %.2f frames/s\n", st[k].f->name, st[k].frames,
                    st[k].seconds, st[k].seconds > 0 ? st[k].frames / st[k].seconds : 0.0);
        st[k].f->close(st[k].ctx);
    }
    for (size_t i = 0; i < held; i++)
        free(frames[i]);
    free(frames);
    for (int s = 0; s < 2; s++) {
        for (size_t i = 0; i < bufcap; i++)
            free(buf[s][i]);
        free(buf[s]);
    }
    free(io);
    return rc;
}
