/* test_stages.c: the stage table's canonical settings (nodes/stages.c), the text a store's
 * identity keeps: the restoration rows' settings and their algorithm versions are written,
 * read back for verify, and a store whose stage was made by another version is refused. */
#include <criterion/criterion.h>
#include <string.h>

#include "stage.h"

static void all_restored(fr_stage_settings *s)
{
    fr_stage_settings_defaults(s);
    s->restore = "all";
}

Test(stages, canonical_names_versions_above_one)
{
    fr_stage_settings s;
    all_restored(&s);
    char buf[1024];
    fr_stage_canonical(&s, buf, sizeof buf);
    const fr_stage *dust = fr_stage_find("dust"), *deflicker = fr_stage_find("deflicker");
    cr_assert(dust && deflicker);
    cr_assert_gt(dust->version, 1, "dust's algorithm has changed once since versions were kept");
    char want[128];
    snprintf(want, sizeof want, "dust(dust-strength=1,version=%d)", dust->version);
    cr_assert(strstr(buf, want), "'%s' lacks '%s'", buf, want);
    cr_assert(strstr(buf, "denoise(denoise-strength=0.5)"), "a version-1 row writes no version: '%s'", buf);
}

Test(stages, canonical_reads_back)
{
    fr_stage_settings s, back;
    all_restored(&s);
    s.dust_strength = 0.25;
    char buf[1024], keep[2048];
    fr_stage_canonical(&s, buf, sizeof buf);
    fr_err err = {0};
    cr_assert_eq(fr_stage_settings_from_canonical(&back, buf, keep, sizeof keep, &err), FR_OK, "%s", err.msg);
    cr_assert_str_eq(back.restore, "deflicker,dust,scratches,denoise");
    cr_assert_float_eq(back.dust_strength, 0.25, 1e-12);
    cr_assert_float_eq(back.deflicker_strength, 1.0, 1e-12);
}

Test(stages, another_version_is_refused)
{
    fr_stage_settings back;
    char keep[2048];
    fr_err err = {0};
    /* a store made before dust's version 2: no version written means 1 */
    cr_assert_eq(fr_stage_settings_from_canonical(&back, "denoise(denoise-strength=1) dust(dust-strength=1)", keep,
                                                  sizeof keep, &err),
                 FR_ERR_STORE);
    cr_assert(strstr(err.msg, "dust stage is version 1"), "%s", err.msg);
    /* and before scratches' version 2 */
    memset(&err, 0, sizeof err);
    cr_assert_eq(fr_stage_settings_from_canonical(&back, "scratches(scratches-strength=1)", keep, sizeof keep, &err),
                 FR_ERR_STORE);
    cr_assert(strstr(err.msg, "scratches stage is version 1"), "%s", err.msg);
    /* a later build's */
    memset(&err, 0, sizeof err);
    cr_assert_eq(fr_stage_settings_from_canonical(&back, "dust(dust-strength=1,version=99)", keep, sizeof keep, &err),
                 FR_ERR_STORE);
    cr_assert(strstr(err.msg, "version 99"), "%s", err.msg);
    /* an unchanged stage written as version 1 by hand reads back */
    cr_assert_eq(fr_stage_settings_from_canonical(&back, "denoise(denoise-strength=0.5,version=1)", keep,
                                                  sizeof keep, &err),
                 FR_OK, "%s", err.msg);
    cr_assert_float_eq(back.denoise_strength, 0.5, 1e-12);
}

Test(stages, malformed_version_is_refused)
{
    fr_stage_settings back;
    char keep[2048];
    const char *bad[] = {"dust(dust-strength=1,version=)", "dust(dust-strength=1,version=2x)",
                         "dust(dust-strength=1,version=0)", "dust(dust-strength=1,version=-2)"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        fr_err err = {0};
        cr_assert_eq(fr_stage_settings_from_canonical(&back, bad[i], keep, sizeof keep, &err), FR_ERR_STORE, "%s",
                     bad[i]);
        cr_assert(strstr(err.msg, "malformed"), "%s: %s", bad[i], err.msg);
    }
}
