/* stage.h: the node stages, declared as a table.
 *
 * Every stage a node runs on a segment is one constant row, the way libavfilter declares a
 * filter: its name, its option rows (fr_opts.h, at offsets in fr_stage_settings), the
 * context it reads (frames on each side, or the whole shot), its store datasets, its
 * canonical settings for the store's identity, and its node callbacks. The table's order
 * is the order a node runs them:
 *
 *   deflicker -> dust -> scratches -> denoise     the source's luma, full size (restore_*.c)
 *   colorize -> smooth -> guide                   render-size chroma
 *   regrain -> encode                             the output frame
 *
 * Who loops over it: `filmrestore run`'s options, --help and the job spec's keys
 * (run_settings.c); the coordinator, for the context a segment needs and the store's
 * identity (pipeline.c); the node, which opens each enabled row once and runs the rows on
 * every segment (segment.c). A new stage is one row in stages.c and one file in nodes/. */
#ifndef FR_STAGE_H
#define FR_STAGE_H

#include <stddef.h>
#include <stdint.h>

#include "fr_opts.h"
#include "fr_status.h"
#include "fr_video_in.h"
#include "fr_wire.h"
#include "restore.h"

/* The stages' settings; each row's option rows point into it. */
typedef struct {
    const char *restore;        /* comma list of restoration stages, "all", or NULL: none */
    double deflicker_strength;  /* 0..1 each */
    double dust_strength;
    double scratches_strength;
    double denoise_strength;
    double regrain_strength;
    const char *smoothing;      /* on | off */
    long smooth_radius;
    double smooth_strength;
    const char *references;     /* folder or CSV index of reference frames; NULL = none */
} fr_stage_settings;

#define FR_STAGE_WHOLE_SHOT (-1) /* context: the stage reads its segment's whole shot */

enum {
    FR_STAGE_NEEDS_LUMA = 1,  /* works on the window's full-size luma (fr_stage_frames.luma) */
    FR_STAGE_NEEDS_GRAY = 2,  /* reads the window's render-size gray */
    FR_STAGE_MAKES_CHROMA = 4,/* computes the chroma: skipped when a job brings it from the store */
    FR_STAGE_REFERENCES = 8,  /* runs only on a shot with reference frames */
};

struct fr_segment_job;
struct fr_generator;

/* What a node's stages share: its settings, the source's stream and the node's generator. */
typedef struct {
    const fr_node_config *cfg;
    const fr_stage_settings *settings;
    const fr_video_info *info;
    const struct AVCodecParameters *par;
    struct fr_generator *gen;
} fr_stage_env;

/* One segment's window, as the rows pass it along. Frames 0..n-1 are the job's decoded
 * frames (its context included); out_first..out_first+out_count-1 are the segment's own. */
typedef struct {
    const struct fr_segment_job *job;
    int n, out_first, out_count, size;
    fr_luma_window luma;    /* full-size luma (frame[] set when a row needs it) */
    fr_luma_window spare;   /* same-shaped planes for a filter's output; swapped after each */
    uint8_t *gray;          /* n * size^2: rendered from luma after the luma rows */
    uint8_t *raw;           /* n * size^2 * 2: the generator's chroma */
    uint8_t *chroma;        /* out_count * size^2 * 2: the segment's chroma, as it goes on */
    uint8_t *unguided;      /* out_count * size^2 * 2: a guided shot's chroma before guidance */
    uint8_t *digests;       /* out_count * 16: the md5 of each output frame (encode) */
    void *encoded;          /* fr_pktlist *: the encoded packets (encode) */
} fr_stage_frames;

typedef struct fr_stage {
    const char *name;
    const char *title;                 /* its --help heading */
    const fr_opt *opts;                /* option rows, offsets in fr_stage_settings */
    size_t n_opts;
    unsigned flags;                    /* FR_STAGE_* */
    const char *datasets;              /* what it keeps in the store, for docs and verify */
    int (*enabled)(const fr_stage_settings *s);
    int (*context)(const fr_stage_settings *s); /* frames read on each side, or FR_STAGE_WHOLE_SHOT */
    fr_status (*check)(const fr_stage_settings *s, fr_err *err); /* NULL: the rows' ranges suffice */
    /* its canonical settings for the store's identity; NULL: it shapes no stored byte */
    void (*canonical)(const struct fr_stage *self, const fr_stage_settings *s, char *buf, size_t len);
    /* the version of its algorithm: raised whenever the same input and settings give other
     * bytes, so a store the earlier version began is not resumed or verified with this one.
     * Rows whose canonical is fr_stage_canonical_opts write it as ",version=N" when N > 1. */
    int version;
    const void *impl;                  /* the row's own data, for open (a restoration filter) */
    fr_status (*open)(void **ctx, const struct fr_stage *self, const fr_stage_env *env, fr_err *err);
    fr_status (*run)(void *ctx, fr_stage_frames *f, fr_err *err);
    void (*close)(void *ctx);
} fr_stage;

extern const fr_stage *const fr_stages[];
extern const size_t fr_stage_count;
#define FR_STAGE_MAX 16

/* --restore, the row that picks the restoration rows (offsets in fr_stage_settings). */
extern const fr_opt fr_stage_restore_opts[];
extern const size_t fr_stage_restore_opts_count;

/* The option groups: --restore's, then each row's that has options, at `base` bytes
 * into the caller's settings struct; returns the count (at most FR_STAGE_GROUPS). */
#define FR_STAGE_GROUPS (FR_STAGE_MAX + 1)
size_t fr_stage_groups(fr_opt_group *g, size_t base);

/* The row named name, or NULL. */
const fr_stage *fr_stage_find(const char *name);

/* Defaults of every row's options. */
void fr_stage_settings_defaults(fr_stage_settings *s);
/* Every row's check, and --restore's list. */
fr_status fr_stage_settings_check(const fr_stage_settings *s, fr_err *err);
/* 1 when restoration stage `name` is in --restore's list. */
int fr_stage_restore_listed(const fr_stage_settings *s, const char *name);

/* Frames of context a segment needs on each side: the luma rows' and (fresh) the chroma
 * rows' radii added up, as each reads its predecessor's output. */
int fr_stage_context(const fr_stage_settings *s, int chroma_too);

/* The rows every segment runs, "deflicker+dust+colorize+smooth", for progress lines. */
void fr_stage_label(const fr_stage_settings *s, char *buf, size_t len);

/* The enabled rows' canonical settings, "name(text) name(text)", for the store's identity. */
void fr_stage_canonical(const fr_stage_settings *s, char *buf, size_t len);
/* A row's canonical settings as its option rows, "option=value,...", and ",version=N" when
 * its version is above 1: rows that set .canonical to it can be read back by
 * fr_stage_settings_from_canonical. */
void fr_stage_canonical_opts(const struct fr_stage *self, const fr_stage_settings *s, char *buf, size_t len);
/* The settings of the luma rows (restoration) that a store's identity names, back from
 * fr_stage_canonical's text; the other rows keep their defaults. A row whose version there
 * (1 when none is written) is not this build's is refused (FR_ERR_STORE). text is copied
 * into keep (len bytes), which s then points into. */
fr_status fr_stage_settings_from_canonical(fr_stage_settings *s, const char *text, char *keep, size_t len,
                                           fr_err *err);

/* The settings as nodes get them (fr_node_config.stages): "option=value\n" per row option;
 * fr_stage_settings_unpack sets them on s, pointing into text (keep it). */
fr_status fr_stage_settings_pack(const fr_stage_settings *s, char *buf, size_t len, fr_err *err);
fr_status fr_stage_settings_unpack(fr_stage_settings *s, char *text, fr_err *err);

#endif
