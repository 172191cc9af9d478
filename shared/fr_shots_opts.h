/* fr_shots_opts.h: the shot detector's settings, their defaults and their checks.
 *
 * Kept apart from the detector (coordinator/shots.h) so that the run's settings
 * (run_settings.h) and the option tables (shots_settings.h), which the CLI, the job
 * service and the coordinator all read, need nothing above shared/. */
#ifndef FR_SHOTS_OPTS_H
#define FR_SHOTS_OPTS_H

#include "fr_status.h"

typedef struct {
    int detector;          /* 2: the decisions for damaged film (issue 26); 1: as before it,
                              kept for comparison                                  [2] */
    int grid;              /* thumbnail cells along the longer side                [64] */
    float cut_threshold;   /* least frame-to-frame change (0..~1) for a cut        [0.30] */
    float cut_ratio;       /* a cut's change over its neighbours' largest change,
                              on the calmer side                                   [2.2] */
    int cut_neighbours;    /* frames each side that the cut must stand out from    [2] */
    int flash_frames;      /* longest flash (or flicker burst) that is ignored     [6] */
    float flash_ratio;     /* a return to within this share of the jump is a flash [0.45] */
    float flat_sigma;      /* a thumbnail whose contrast (0..1) is under this is
                              blank: the bottom of a fade                          [0.008] */
    float gradual_threshold; /* least change across a gradual transition          [0.30] */
    float blend_gain;      /* how much better the middle frame must fit as a blend
                              of the two ends than as either end alone             [0.4] */
    float blend_dip;       /* least a+b of the blend weights (normalised frames):
                              a dissolve's middle has less contrast than its ends  [1.15] */
    int gradual_span;      /* half-window, frames each side of a gradual's middle  [8] */
    int min_shot;          /* fewest frames between two boundaries                 [6] */
} fr_shots_opts;

/* Fills o with the defaults above. */
void fr_shots_defaults(fr_shots_opts *o);

/* Checks the settings, alone and across each other; err names the one at fault. */
fr_status fr_shots_opts_check(const fr_shots_opts *o, fr_err *err);

#endif
