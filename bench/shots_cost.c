/* shots_cost.c: the shot detector's cost per frame at a given picture size (bench/shots-cost).
 *
 * Times, on CPU time of this one thread, the feature pass a node runs per frame
 * (fr_thumb_make on the full-size luma, then fr_thumb_pack for the wire) and, apart, the
 * decisions rank 0 runs per frame (fr_shots_push_thumb), for detector 1 and 2. The
 * pictures are textured and change every frame (8 of them in turn, each shifted), so the
 * reads are not served from a warm cache of one frame. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fr_shots_feat.h"
#include "shots.h"

#define NPIC 8

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void fill(fr_plane *p, int seed)
{
    unsigned s = 12345u + 977u * (unsigned)seed;
    const int maxv = (1 << p->bits) - 1;
    for (int y = 0; y < p->height; y++)
        for (int x = 0; x < p->width; x++) {
            s = s * 1664525u + 1013904223u;
            int v = ((x / 37 + y / 23 + seed) % 7) * maxv / 8 + (int)((s >> 24) % 32) * maxv / 255;
            if (v > maxv)
                v = maxv;
            if (p->bits > 8)
                ((uint16_t *)(p->data + y * p->linesize))[x] = (uint16_t)v;
            else
                p->data[y * p->linesize + x] = (uint8_t)v;
        }
}

int main(int argc, char **argv)
{
    int w = argc > 1 ? atoi(argv[1]) : 1920, h = argc > 2 ? atoi(argv[2]) : 1080;
    int bits = argc > 3 ? atoi(argv[3]) : 8, frames = argc > 4 ? atoi(argv[4]) : 400;
    fr_err err = {0};
    fr_plane pic[NPIC];
    fr_shots_opts o;
    fr_shots_defaults(&o);
    int gw, gh;
    fr_thumb_grid_size(w, h, o.grid, &gw, &gh);
    fr_thumber *t = NULL;
    fr_thumb th[NPIC];
    uint8_t *wire = malloc(fr_thumb_bytes(gw, gh));
    if (!wire || fr_thumber_new(&t, gw, gh, o.flat_sigma, &err) != FR_OK) {
        fprintf(stderr, "shots_cost: %s\n", err.msg[0] ? err.msg : "out of memory");
        return 1;
    }
    for (int i = 0; i < NPIC; i++) {
        if (fr_plane_alloc(&pic[i], w, h, bits, &err) != FR_OK || fr_thumb_alloc(&th[i], gw, gh, &err) != FR_OK) {
            fprintf(stderr, "shots_cost: %s\n", err.msg);
            return 1;
        }
        fill(&pic[i], i);
    }
    double t0 = cpu_now();
    for (int f = 0; f < frames; f++) {
        if (fr_thumb_make(t, &pic[f % NPIC], &th[f % NPIC], &err) != FR_OK) {
            fprintf(stderr, "shots_cost: %s\n", err.msg);
            return 1;
        }
        fr_thumb_pack(&th[f % NPIC], gw, gh, wire);
    }
    double feat = (cpu_now() - t0) / frames;
    printf("%dx%d %d-bit, grid %dx%d: feature pass (thumbnail + pack) %.1f us/frame\n", w, h, bits, gw, gh, feat * 1e6);
    for (int v = 1; v <= 2; v++) {
        o.detector = v;
        fr_shots *s = NULL;
        if (fr_shots_new(&s, &o, &err) != FR_OK) {
            fprintf(stderr, "shots_cost: %s\n", err.msg);
            return 1;
        }
        fr_shot_boundary b;
        t0 = cpu_now();
        for (int f = 0; f < frames; f++) {
            if (fr_shots_push_thumb(s, &th[(f / 40) % NPIC], gw, gh, f, &err) != FR_OK) {
                fprintf(stderr, "shots_cost: %s\n", err.msg);
                return 1;
            }
            while (fr_shots_pop(s, &b))
                ;
        }
        double dec = (cpu_now() - t0) / frames;
        printf("decisions, detector %d: %.1f us/frame\n", v, dec * 1e6);
        fr_shots_free(s);
    }
    for (int i = 0; i < NPIC; i++) {
        fr_plane_release(&pic[i]);
        fr_thumb_release(&th[i]);
    }
    fr_thumber_free(t);
    free(wire);
    return 0;
}
