/* test_schedule.c: when batches may be smoothed and encoded. */
#include <criterion/criterion.h>

#include "schedule.h"

/* Two shots: [0, 10) in batches of 4, 4, 2, and [10, 14) in one batch. */
static fr_schedule *plan(int radius, int smoothing)
{
    fr_schedule *s;
    fr_err e;
    cr_assert_eq(fr_schedule_new(&s, radius, smoothing, &e), FR_OK);
    fr_batch b[] = {{0, 4, 0}, {4, 4, 0}, {8, 2, 0}, {10, 4, 1}};
    for (int i = 0; i < 4; i++)
        cr_assert_eq(fr_schedule_add_batch(s, &b[i], 0, 0, &e), FR_OK);
    return s;
}

Test(schedule, smoothing_waits_for_its_window_and_stays_in_its_shot)
{
    fr_schedule *s = plan(3, 1);
    int64_t row, lo, hi;
    fr_schedule_mark_done(s, 0);
    cr_assert_not(fr_schedule_next_smooth(s, &row, &lo, &hi), "batch 0 needs frames 4..6");
    fr_schedule_mark_done(s, 1);
    cr_assert(fr_schedule_next_smooth(s, &row, &lo, &hi));
    cr_assert_eq(row, 0);
    cr_assert_eq(lo, 0);
    cr_assert_eq(hi, 7);
    cr_assert_not(fr_schedule_next_smooth(s, &row, &lo, &hi), "batch 1 needs frames 8..10, and its shot is open");
    fr_err e;
    fr_shot shot0 = {0, 10, 0};
    fr_schedule_add_shot(s, &shot0, &e);
    fr_schedule_mark_done(s, 2);
    cr_assert(fr_schedule_next_smooth(s, &row, &lo, &hi));
    cr_assert_eq(row, 1);
    cr_assert_eq(lo, 1);
    cr_assert_eq(hi, 10, "clipped to the shot, never into frame 10");
    cr_assert(fr_schedule_next_smooth(s, &row, &lo, &hi));
    cr_assert_eq(row, 2);
    cr_assert_eq(lo, 5);
    cr_assert_eq(hi, 10);
    fr_schedule_mark_done(s, 3);
    fr_shot shot1 = {10, 14, 1};
    fr_schedule_add_shot(s, &shot1, &e);
    cr_assert(fr_schedule_next_smooth(s, &row, &lo, &hi));
    cr_assert_eq(row, 3);
    cr_assert_eq(lo, 10, "never back into the previous shot");
    cr_assert_eq(hi, 14);
    cr_assert_not(fr_schedule_next_smooth(s, &row, &lo, &hi), "each batch goes out once");
    fr_schedule_free(s);
}

Test(schedule, encoding_is_in_order)
{
    fr_schedule *s = plan(2, 1);
    int64_t row;
    for (int i = 0; i < 4; i++)
        fr_schedule_mark_done(s, i);
    fr_schedule_mark_smoothed(s, 1);
    cr_assert_not(fr_schedule_next_encode(s, &row), "batch 0 is not smoothed yet");
    fr_schedule_mark_smoothed(s, 0);
    cr_assert(fr_schedule_next_encode(s, &row));
    cr_assert_eq(row, 0);
    fr_schedule_encoded(s, 0);
    cr_assert(fr_schedule_next_encode(s, &row));
    cr_assert_eq(row, 1);
    fr_schedule_encoded(s, 1);
    cr_assert_not(fr_schedule_next_encode(s, &row));
    cr_assert_not(fr_schedule_all_encoded(s));
    fr_schedule_mark_smoothed(s, 2);
    fr_schedule_mark_smoothed(s, 3);
    fr_schedule_end(s, 14);
    while (fr_schedule_next_encode(s, &row))
        fr_schedule_encoded(s, row);
    cr_assert(fr_schedule_all_encoded(s));
    cr_assert_eq(fr_schedule_frames_smoothed(s), 14);
    fr_schedule_free(s);
}

Test(schedule, without_smoothing_done_batches_encode)
{
    fr_schedule *s = plan(2, 0);
    int64_t row, lo, hi;
    fr_schedule_mark_done(s, 0);
    cr_assert_not(fr_schedule_next_smooth(s, &row, &lo, &hi));
    cr_assert(fr_schedule_next_encode(s, &row));
    cr_assert_eq(row, 0);
    fr_schedule_free(s);
}

Test(schedule, a_guided_shot_waits_for_its_batches_and_holds_the_encoder)
{
    fr_schedule *s = plan(2, 0);
    fr_schedule_set_guiding(s);
    int64_t row, shot;
    fr_err e;
    fr_schedule_mark_done(s, 0);
    cr_assert_not(fr_schedule_next_encode(s, &row), "shot 0 is still open: it may have references");
    fr_shot shot0 = {0, 10, 0}, shot1 = {10, 14, 1};
    cr_assert_eq(fr_schedule_add_shot(s, &shot0, &e), FR_OK);
    fr_schedule_guide_shot(s, 0, 0);
    cr_assert_not(fr_schedule_next_guide(s, &shot), "batches 1 and 2 are not colourised");
    fr_schedule_mark_done(s, 1);
    fr_schedule_mark_done(s, 2);
    cr_assert_not(fr_schedule_next_encode(s, &row), "shot 0 is not guided yet");
    cr_assert(fr_schedule_next_guide(s, &shot));
    cr_assert_eq(shot, 0);
    cr_assert_not(fr_schedule_next_guide(s, &shot), "a shot goes out once");
    fr_schedule_mark_guided(s, 0);
    cr_assert(fr_schedule_guided(s, 0));
    cr_assert(fr_schedule_next_encode(s, &row));
    for (int i = 0; i < 3; i++) {
        cr_assert(fr_schedule_next_encode(s, &row));
        fr_schedule_encoded(s, row);
    }
    fr_schedule_mark_done(s, 3);
    cr_assert_eq(fr_schedule_add_shot(s, &shot1, &e), FR_OK);
    cr_assert_not(fr_schedule_guided(s, 1), "a shot without references is not guided");
    cr_assert(fr_schedule_next_encode(s, &row), "and encodes as soon as it is final");
    cr_assert_eq(row, 3);
    fr_schedule_free(s);
}
