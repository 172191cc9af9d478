/* test_colour_matrix.c: the film's RGB -> chroma matrix (fr_colour_matrix.h). */
#include <criterion/criterion.h>
#include <math.h>

#include <libavutil/pixfmt.h>

#include "fr_colour_matrix.h"

static void chroma(const fr_colour_matrix *m, float r, float g, float b, float *cb, float *cr)
{
    float kcb[3], kcr[3];
    fr_colour_matrix_coefs(m, kcb, kcr);
    *cb = 128.0f + kcb[0] * r + kcb[1] * g + kcb[2] * b;
    *cr = 128.0f + kcr[0] * r + kcr[1] * g + kcr[2] * b;
}

Test(colour_matrix, tags_name_their_matrix)
{
    cr_assert_str_eq(fr_colour_matrix_of(AVCOL_SPC_BT709)->name, "BT.709");
    cr_assert_str_eq(fr_colour_matrix_of(AVCOL_SPC_BT2020_NCL)->name, "BT.2020");
    cr_assert_str_eq(fr_colour_matrix_of(AVCOL_SPC_BT2020_CL)->name, "BT.2020");
    cr_assert_str_eq(fr_colour_matrix_of(AVCOL_SPC_SMPTE170M)->name, "BT.601");
    cr_assert_str_eq(fr_colour_matrix_of(AVCOL_SPC_BT470BG)->name, "BT.601");
    cr_assert_str_eq(fr_colour_matrix_of(AVCOL_SPC_UNSPECIFIED)->name, "BT.601");
    cr_assert(fr_colour_matrix_assumed(AVCOL_SPC_UNSPECIFIED) && fr_colour_matrix_assumed(AVCOL_SPC_RGB));
    cr_assert(!fr_colour_matrix_assumed(AVCOL_SPC_BT709) && !fr_colour_matrix_assumed(AVCOL_SPC_BT470BG));
}

/* Grays are neutral, the primaries reach the edges of the range (Cb of blue and Cr of red
 * are 128 + 127.5 in every matrix), and BT.601 keeps JPEG's literals. */
Test(colour_matrix, grays_neutral_primaries_at_the_edge)
{
    int spaces[] = {AVCOL_SPC_BT470BG, AVCOL_SPC_BT709, AVCOL_SPC_BT2020_NCL, AVCOL_SPC_SMPTE240M, AVCOL_SPC_FCC};
    for (size_t i = 0; i < sizeof spaces / sizeof spaces[0]; i++) {
        const fr_colour_matrix *m = fr_colour_matrix_of(spaces[i]);
        float cb, cr;
        for (int v = 0; v <= 255; v += 51) {
            chroma(m, (float)v, (float)v, (float)v, &cb, &cr);
            cr_assert(fabsf(cb - 128.0f) < 1e-3f && fabsf(cr - 128.0f) < 1e-3f, "%s: gray %d gives %f %f", m->name, v, cb, cr);
        }
        chroma(m, 0, 0, 255, &cb, &cr);
        cr_assert(fabsf(cb - 255.5f) < 1e-3f, "%s: blue's Cb %f", m->name, cb);
        chroma(m, 255, 0, 0, &cb, &cr);
        cr_assert(fabsf(cr - 255.5f) < 1e-3f, "%s: red's Cr %f", m->name, cr);
    }
    float kcb[3], kcr[3];
    fr_colour_matrix_coefs(fr_colour_matrix_of(AVCOL_SPC_BT470BG), kcb, kcr);
    cr_assert(kcb[0] == -0.168736f && kcb[1] == -0.331264f && kcr[1] == -0.418688f && kcr[2] == -0.081312f);
    /* BT.709 from its kr = 0.2126, kb = 0.0722: Cb's red weight is -0.114572 */
    fr_colour_matrix_coefs(fr_colour_matrix_of(AVCOL_SPC_BT709), kcb, kcr);
    cr_assert(fabsf(kcb[0] + 0.114572f) < 1e-5f && fabsf(kcr[2] + 0.045847f) < 1e-5f, "%f %f", kcb[0], kcr[2]);
}
