/* test_watchdog.c: the coordinator's watchdog (coordinator/watchdog.h) fires on a node that
 * holds one job too long and on a scheduler that cannot hand its next job out, and not on a
 * run whose jobs keep moving. It ends the process with status 1 when it fires. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <time.h>

#include "watchdog.h"

static void nap(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

static fr_watchdog *start(int nodes)
{
    setenv("FILMRESTORE_JOB_TIMEOUT", "1", 1);
    fr_watchdog *wd = NULL;
    fr_err err = {0};
    cr_assert_eq(fr_watchdog_start(&wd, nodes, "test.h5", &err), FR_OK, "%s", err.msg);
    return wd;
}

Test(watchdog, timeout_from_the_environment)
{
    setenv("FILMRESTORE_JOB_TIMEOUT", "7", 1);
    cr_assert_eq(fr_watchdog_timeout(), 7);
    setenv("FILMRESTORE_JOB_TIMEOUT", "7s", 1);
    cr_assert_eq(fr_watchdog_timeout(), FR_JOB_TIMEOUT_DEFAULT);
    setenv("FILMRESTORE_JOB_TIMEOUT", "-3", 1);
    cr_assert_eq(fr_watchdog_timeout(), FR_JOB_TIMEOUT_DEFAULT);
    unsetenv("FILMRESTORE_JOB_TIMEOUT");
    cr_assert_eq(fr_watchdog_timeout(), FR_JOB_TIMEOUT_DEFAULT);
}

Test(watchdog, a_job_held_too_long, .exit_code = 1)
{
    fr_watchdog *wd = start(2);
    fr_watchdog_job jobs[3] = {{0}, {1, 0, 3, 72, 95}, {0}};
    for (int i = 0; i < 40; i++) { /* the scheduler keeps turning; node 1 keeps segment 3 */
        fr_watchdog_update(wd, jobs, 2);
        nap(0.1);
    }
    cr_assert_fail("the watchdog did not fire on a job held 4 s (timeout 1 s)");
}

Test(watchdog, a_scheduler_that_cannot_hand_out_a_job, .exit_code = 1)
{
    fr_watchdog *wd = start(1);
    fr_watchdog_job jobs[2] = {{0}, {0}};
    fr_watchdog_update(wd, jobs, 1); /* then blocked, sending to node 1 */
    nap(4);
    cr_assert_fail("the watchdog did not fire on a scheduler blocked 4 s (timeout 1 s)");
}

Test(watchdog, jobs_that_keep_moving)
{
    fr_watchdog *wd = start(2);
    fr_watchdog_job jobs[3] = {{0}, {1, 1, 0, 0, 47}, {1, 0, 0, 0, 95}};
    for (int i = 0; i < 30; i++) { /* each node takes a new job every 0.5 s */
        if (i % 5 == 0)
            jobs[1].index++, jobs[2].index++;
        fr_watchdog_update(wd, jobs, 0);
        nap(0.1);
    }
    fr_watchdog_free(wd);
    fr_watchdog_free(NULL);
}
