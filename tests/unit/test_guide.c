/* test_guide.c: reference guidance of one shot (nodes/guide.c) on synthetic shots: a still
 * shot carries its reference everywhere; moving texture follows the motion; a reference frame
 * is its reference; the bytes do not depend on the thread count; bad arguments are refused. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "guide.h"

#define S 64
#define PX (S * S)
#define N 10

/* A smooth texture moving dx pixels a frame; its chroma follows it (the truth). The model's
 * chroma is the truth with a strong cast. */
static void make(uint8_t *gray, uint8_t *truth, uint8_t *model, int dx)
{
    for (int t = 0; t < N; t++)
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++) {
                float u = (float)(x - dx * t), v = (float)y;
                size_t i = (size_t)t * PX + (size_t)y * S + x;
                gray[i] = (uint8_t)(128 + 60 * sinf(u * 0.31f) * cosf(v * 0.23f) + 30 * sinf((u + v) * 0.11f));
                truth[2 * i] = (uint8_t)(128 + 40 * sinf(u * 0.05f));
                truth[2 * i + 1] = (uint8_t)(128 + 40 * cosf(v * 0.07f));
                model[2 * i] = (uint8_t)(truth[2 * i] / 2 + 90);
                model[2 * i + 1] = (uint8_t)(truth[2 * i + 1] / 2 + 40);
            }
}

static double mae(const uint8_t *a, const uint8_t *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += fabs((double)a[i] - b[i]);
    return s / (double)n;
}

Test(guide, follows_motion_and_keeps_the_reference_frame)
{
    for (int dx = 0; dx <= 2; dx += 2) {
        uint8_t *gray = malloc(N * PX), *truth = malloc(N * PX * 2), *model = malloc(N * PX * 2);
        uint8_t *out = malloc(N * PX * 2);
        make(gray, truth, model, dx);
        fr_guide *g;
        fr_err e;
        cr_assert_eq(fr_guide_new(&g, S, 1, &e), FR_OK);
        int32_t at[1] = {4};
        cr_assert_eq(fr_guide_shot(g, gray, model, N, at, truth + 4 * PX * 2, 1, out, &e), FR_OK, "%s", e.msg);
        cr_assert_eq(memcmp(out + 4 * PX * 2, truth + 4 * PX * 2, PX * 2), 0, "the reference frame is its reference");
        for (int t = 0; t < N; t++) {
            double before = mae(model + (size_t)t * PX * 2, truth + (size_t)t * PX * 2, PX * 2);
            double after = mae(out + (size_t)t * PX * 2, truth + (size_t)t * PX * 2, PX * 2);
            cr_assert_lt(after, 0.25 * before, "dx %d frame %d: error %.2f, the model's %.2f", dx, t, after, before);
            cr_assert_lt(after, 3.0, "dx %d frame %d: error %.2f", dx, t, after);
        }
        fr_guide_free(g);
        free(gray);
        free(truth);
        free(model);
        free(out);
    }
}

Test(guide, two_references_and_threads_give_the_same_bytes)
{
    uint8_t *gray = malloc(N * PX), *truth = malloc(N * PX * 2), *model = malloc(N * PX * 2);
    uint8_t *a = malloc(N * PX * 2), *b = malloc(N * PX * 2), *ref = malloc(2 * PX * 2);
    make(gray, truth, model, 1);
    memcpy(ref, truth + 2 * PX * 2, PX * 2);
    memcpy(ref + PX * 2, truth + 7 * PX * 2, PX * 2);
    int32_t at[2] = {2, 7};
    fr_guide *g1, *g2;
    fr_err e;
    cr_assert_eq(fr_guide_new(&g1, S, 1, &e), FR_OK);
    cr_assert_eq(fr_guide_new(&g2, S, 2, &e), FR_OK);
    cr_assert_eq(fr_guide_shot(g1, gray, model, N, at, ref, 2, a, &e), FR_OK);
    cr_assert_eq(fr_guide_shot(g2, gray, model, N, at, ref, 2, b, &e), FR_OK);
    cr_assert_eq(memcmp(a, b, N * PX * 2), 0, "1 and 2 threads differ");
    cr_assert_eq(memcmp(a + 7 * PX * 2, ref + PX * 2, PX * 2), 0);
    int32_t bad[2] = {7, 2};
    cr_assert_eq(fr_guide_shot(g1, gray, model, N, bad, ref, 2, a, &e), FR_ERR_ARG, "references out of order");
    int32_t out_of_shot[1] = {N};
    cr_assert_eq(fr_guide_shot(g1, gray, model, N, out_of_shot, ref, 1, a, &e), FR_ERR_ARG);
    fr_guide_free(g1);
    fr_guide_free(g2);
    free(gray);
    free(truth);
    free(model);
    free(a);
    free(b);
    free(ref);
}
