/* provenance.c: a run's identity (provenance.h); its tags are built in shared/fr_provenance.c. */
#include "provenance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fr_colour_matrix.h"
#include "fr_log.h"
#include "fr_version.h"
#include "fr_video_in.h"
#include "planner.h"
#include "progress.h"

fr_status fr_provenance_identity(const fr_run_settings *s, const char *stage_canon, fr_store_identity *id,
                                 int64_t *total_guess, fr_err *err)
{
    fr_video_in *in = NULL;
    fr_status st = fr_video_in_open(&in, s->input, err);
    if (st != FR_OK)
        return st;
    const fr_video_info *vi = fr_video_in_info(in);
    if (fr_colour_matrix_assumed(vi->colorspace))
        fr_info("coordinator", "the source tags no colour matrix: BT.601 assumed (FFmpeg's convention), and the output tagged so");
    /* the streams the output keeps, checked now rather than when the mux reaches them */
    if (s->output && (st = fr_remux_check_source(fr_video_in_format(in), vi->stream_index, s->output, err)) != FR_OK) {
        fr_video_in_free(in);
        return st;
    }
    id->width = vi->width;
    id->height = vi->height;
    id->rate_num = vi->frame_rate.num;
    id->rate_den = vi->frame_rate.den;
    id->declared_frames = vi->nb_frames;
    if (total_guess)
        *total_guess = fr_progress_total_estimate(vi->nb_frames, vi->duration, vi->frame_rate.num,
                                                  vi->frame_rate.den);
    fr_video_in_free(in);
    /* The resolved path: "./a.mkv", "a.mkv" and a link to it resume each other. */
    char *real = realpath(s->input, NULL);
    snprintf(id->source_path, sizeof id->source_path, "%s", real ? real : s->input);
    free(real);
    id->render_factor = (int)s->render_factor;
    id->batch_size = (int)s->batch;
    id->segment_frames = (int)s->segment_frames;
    fr_shots_opts_format(&s->shots, id->shots_settings, sizeof id->shots_settings);
    snprintf(id->stage_settings, sizeof id->stage_settings, "%s", stage_canon);
    snprintf(id->tool_version, sizeof id->tool_version, "%s", FR_VERSION);
    return fr_store_fingerprint(s->input, id, err);
}
