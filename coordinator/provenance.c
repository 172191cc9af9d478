/* provenance.c: a run's identity, settings line and container tags (provenance.h). */
#include "provenance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void fr_provenance_settings(const fr_store_identity *id, int tolerate_damage, char *buf, size_t len)
{
    /* Only what shapes the output's bytes: the batch size does not (the store keeps it);
     * the segment length does (an H.264 output starts each segment on a keyframe). */
    snprintf(buf, len, "render_factor=%d segment_frames=%d shots=%s stages=%s engine=%s tolerate_damage=%s",
             id->render_factor, id->segment_frames, id->shots_settings, id->stage_settings, id->engine_numerics,
             tolerate_damage ? "on" : "off");
}

fr_status fr_provenance_tags(const fr_store_identity *id, const char *settings, fr_tags *tags, fr_err *err)
{
    const char *base = strrchr(id->source_path, '/');
    const char *kv[][2] = {
        {"FILMRESTORE_VERSION", id->tool_version},
        {"FILMRESTORE_SOURCE", base ? base + 1 : id->source_path},
        {"FILMRESTORE_SOURCE_HASH", id->source_hash},
        {"FILMRESTORE_MODEL", id->model_name},
        {"FILMRESTORE_MODEL_SHA256", id->model_hash[0] ? id->model_hash : "built-in"},
        {"FILMRESTORE_SETTINGS", settings},
    };
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
        if (!fr_tags_set(tags, kv[i][0], kv[i][1]))
            return fr_err_set(err, FR_ERR_INTERNAL, "too many container tags");
    return FR_OK;
}
