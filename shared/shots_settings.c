/* shots_settings.c: the shot detector's option rows (shots_settings.h). */
#include "shots_settings.h"

#define O(f) offsetof(fr_shots_opts, f)
const fr_opt fr_shots_opt_rows[] = {
    {"cut-threshold", 0, FR_OPT_FLOAT, O(cut_threshold), NULL, 0.01, 3, "least frame-to-frame change for a cut"},
    {"cut-ratio", 0, FR_OPT_FLOAT, O(cut_ratio), NULL, 1, 100, "a cut's change over its neighbours' largest"},
    {"cut-neighbours", 0, FR_OPT_INT, O(cut_neighbours), NULL, 0, 8, "frames each side a cut must stand out from"},
    {"flash-frames", 0, FR_OPT_INT, O(flash_frames), NULL, 0, 48, "longest flash or flicker burst ignored"},
    {"flash-ratio", 0, FR_OPT_FLOAT, O(flash_ratio), NULL, 0, 1, "a return to within this share of a jump is a flash"},
    {"flat-sigma", 0, FR_OPT_FLOAT, O(flat_sigma), NULL, 0, 0.49, "contrast (0..1) under which a frame is blank"},
    {"gradual-threshold", 0, FR_OPT_FLOAT, O(gradual_threshold), NULL, 0.01, 3, "least change across a gradual transition"},
    {"blend-gain", 0, FR_OPT_FLOAT, O(blend_gain), NULL, 0, 1, "how much better a dissolve's middle fits as a blend"},
    {"blend-dip", 0, FR_OPT_FLOAT, O(blend_dip), NULL, 0, 4, "least sum of a dissolve's blend weights (contrast dip)"},
    {"gradual-span", 0, FR_OPT_INT, O(gradual_span), NULL, 2, 48, "frames each side of a dissolve's middle compared"},
    {"min-shot", 0, FR_OPT_INT, O(min_shot), NULL, 1, 1000, "fewest frames between two boundaries"},
    {"detector", 0, FR_OPT_INT, O(detector), NULL, 1, 2, "2: robust to damaged film; 1: as before issue 26"},
    {"grid", 0, FR_OPT_INT, O(grid), NULL, 8, 512, "thumbnail cells along the longer side"},
};
#undef O
const size_t fr_shots_opt_rows_count = sizeof fr_shots_opt_rows / sizeof fr_shots_opt_rows[0];

size_t fr_shots_command_groups(fr_opt_group g[2], const fr_opt *rows, size_t n, size_t shots_offset,
                               const char *title)
{
    g[0] = (fr_opt_group){rows, n, 0, NULL};
    g[1] = (fr_opt_group){fr_shots_opt_rows, fr_shots_opt_rows_count, shots_offset, title};
    return 2;
}
