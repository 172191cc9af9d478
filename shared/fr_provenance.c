/* fr_provenance.c: the FILMRESTORE_* container tags from a store's identity (fr_provenance.h). */
#include "fr_provenance.h"

#include <stdio.h>
#include <string.h>

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
