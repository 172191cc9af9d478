/* fr_shots_opts.c: the shot detector's default settings and their checks (fr_shots_opts.h). */
#include "fr_shots_opts.h"

void fr_shots_defaults(fr_shots_opts *o)
{
    o->detector = 2;
    o->grid = 64;
    o->cut_threshold = 0.30f;
    o->cut_ratio = 2.2f; /* 2 before issue 26 */
    o->cut_neighbours = 2;
    o->flash_frames = 6;
    o->flash_ratio = 0.45f;
    o->flat_sigma = 0.008f;
    o->gradual_threshold = 0.30f;
    o->blend_gain = 0.4f;
    o->blend_dip = 1.15f;
    o->gradual_span = 8;
    o->min_shot = 6;
}

fr_status fr_shots_opts_check(const fr_shots_opts *o, fr_err *err)
{
    if (o->detector < 1 || o->detector > 2)
        return fr_err_set(err, FR_ERR_ARG, "shots: detector %d is not 1 or 2", o->detector);
    if (o->grid < 8 || o->grid > 512)
        return fr_err_set(err, FR_ERR_ARG, "shots: grid %d is not in [8, 512]", o->grid);
    if (!(o->cut_threshold > 0) || !(o->cut_ratio >= 1) || o->cut_neighbours < 0 ||
        o->cut_neighbours > 8)
        return fr_err_set(err, FR_ERR_ARG, "shots: cut threshold, ratio or neighbours out of range");
    if (o->flash_frames < 0 || o->flash_frames > 48 || !(o->flash_ratio >= 0 && o->flash_ratio <= 1))
        return fr_err_set(err, FR_ERR_ARG, "shots: flash frames (0..48) or ratio (0..1) out of range");
    if (o->cut_neighbours > o->flash_frames && o->flash_frames > 0)
        return fr_err_set(err, FR_ERR_ARG, "shots: cut neighbours may not exceed flash frames");
    if (!(o->flat_sigma >= 0 && o->flat_sigma < 0.5f))
        return fr_err_set(err, FR_ERR_ARG, "shots: flat sigma %g is not in [0, 0.5)", o->flat_sigma);
    if (!(o->gradual_threshold > 0) || !(o->blend_gain >= 0 && o->blend_gain <= 1) ||
        !(o->blend_dip >= 0 && o->blend_dip <= 4) ||
        o->gradual_span < 2 || o->gradual_span > 48)
        return fr_err_set(err, FR_ERR_ARG,
                          "shots: gradual threshold, blend gain, blend dip or gradual span out of range");
    if (o->min_shot < 1 || o->min_shot > 1000)
        return fr_err_set(err, FR_ERR_ARG, "shots: min shot %d is not in [1, 1000]", o->min_shot);
    return FR_OK;
}
