/* test_status.c: the status type and error buffer. */
#include <criterion/criterion.h>
#include <string.h>

#include "fr_status.h"

Test(status, set_and_wrap)
{
    fr_err e = {0};
    cr_assert_eq(fr_err_set(&e, FR_ERR_IO, "open %s", "x.mkv"), FR_ERR_IO);
    cr_assert_str_eq(e.msg, "open x.mkv");
    fr_err_wrap(&e, "store");
    cr_assert_str_eq(e.msg, "store: open x.mkv");
    cr_assert_eq(e.code, FR_ERR_IO);
    cr_assert_eq(fr_status_exit_code(FR_OK), 0);
    cr_assert_eq(fr_status_exit_code(FR_ERR_ARG), 2);
    cr_assert_eq(fr_status_exit_code(FR_ERR_INPUT), 1);
    cr_assert(strlen(fr_status_str(FR_ERR_MODEL)) > 0);
}
