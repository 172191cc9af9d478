/* fr_store.h: the HDF5 store, which is also the run's checkpoint.
 *
 * One file per film and settings (layout in docs/store.md). The coordinator is
 * its only writer. It is written in HDF5's SWMR mode: every dataset exists from
 * creation and only grows, and each fr_store_flush orders the data on disk
 * before the flags that mark it done, so a SIGKILL at any instant leaves a
 * readable file in which every batch marked done has its chroma. Reopening
 * the store resumes: fr_store_open checks the identity (source, model,
 * settings) first and refuses, naming the difference, when it does not match.
 *
 * Frame data at render size s: gray [frames][s][s] uint8 and chroma
 * [frames][s][s][2] uint8 (raw from the model, and smoothed), chunked one
 * frame per chunk and deflate-compressed. */
#ifndef FR_STORE_H
#define FR_STORE_H

#include <stdint.h>

#include "fr_loss.h"
#include "fr_status.h"

#define FR_STORE_VERSION 4 /* 2: /runs (provenance) and /damage; 3: segments, their part files;
                              4: stage_settings (the stage table's) for smooth_settings */

/* What a store belongs to. Two runs may share a store only if all match. */
typedef struct {
    char source_path[1024];
    int64_t source_size;
    char source_hash[65];   /* sha256 of the size, the first and the last 4 MiB */
    int width, height;
    int rate_num, rate_den;
    int64_t declared_frames;/* from the container, -1 if unknown */
    char model_name[128];
    char model_hash[65];
    int render_factor;
    int batch_size;
    int segment_frames;       /* most frames in a segment: H.264 starts each on a keyframe */
    char shots_settings[256];  /* canonical text of the shot detector's settings */
    char stage_settings[512];  /* the node stages' canonical settings: "smooth(...) dust(...)" */
    char engine_numerics[64];  /* the nodes' backend, precision and algorithm ("cpu fp32 direct") */
    char tool_version[32];
} fr_store_identity;

typedef struct {
    int64_t start;   /* first frame */
    int32_t count;   /* frames */
    int32_t shot;    /* index of the shot it belongs to */
} fr_batch;

typedef struct {
    int64_t start, end;  /* frames, end exclusive */
    int32_t transition;  /* 0 start, 1 cut, 2 gradual: the boundary that opens the shot */
    float confidence;    /* that boundary's confidence, 0..1 (1 for the first shot); -1 when
                            the store predates the column (it is then neither read nor written) */
} fr_shot;

/* Provenance: one row per run on the store (a resume adds a row), beside the identity
 * attributes (source hash, model name and hash, settings, version) that every run shares. */
typedef struct {
    char started[32];       /* UTC, ISO 8601 */
    char tool_version[32];
    int32_t ranks;          /* MPI ranks, the coordinator included */
    char hosts[448];        /* "host (N ranks), ...", sorted */
    char settings[1024];    /* the run's settings, canonical text */
} fr_store_run;

typedef struct fr_store fr_store;

/* Fills source fields of id from the file at path (size and content hash). */
fr_status fr_store_fingerprint(const char *path, fr_store_identity *id, fr_err *err);

/* Creates the store, or reopens it to resume when it exists and matches id
 * (FR_ERR_MISMATCH otherwise). *resumed tells which. */
fr_status fr_store_open(fr_store **out, const char *path, const fr_store_identity *id, int *resumed,
                        fr_err *err);
/* Opens an existing store read-only (tools, tests). */
fr_status fr_store_open_readonly(fr_store **out, const char *path, fr_err *err);
const fr_store_identity *fr_store_identity_of(const fr_store *s);
int fr_store_render_size(const fr_store *s);

/* Batches and shots, appended in order as they are planned. */
int64_t fr_store_batch_count(const fr_store *s);
fr_status fr_store_batch(const fr_store *s, int64_t i, fr_batch *b, int *done, int *smoothed, fr_err *err);
fr_status fr_store_add_batch(fr_store *s, const fr_batch *b, fr_err *err);
int64_t fr_store_shot_count(const fr_store *s);
fr_status fr_store_shot(const fr_store *s, int64_t i, fr_shot *shot, fr_err *err);
fr_status fr_store_add_shot(fr_store *s, const fr_shot *shot, fr_err *err);

/* Frame data. write_* grow the datasets as needed; reads of frames never
 * written fail. pts: timestamps, one per frame. */
fr_status fr_store_write_frames(fr_store *s, int64_t first, int n, const int64_t *pts,
                                const uint8_t *gray, const uint8_t *chroma, fr_err *err);
fr_status fr_store_read_frames(fr_store *s, int64_t first, int n, uint8_t *gray, uint8_t *chroma,
                               fr_err *err);
/* The frames' timestamps (/timestamps), in the source's time base. */
fr_status fr_store_read_timestamps(fr_store *s, int64_t first, int n, int64_t *pts, fr_err *err);
fr_status fr_store_write_smoothed(fr_store *s, int64_t first, int n, const uint8_t *chroma, fr_err *err);
fr_status fr_store_read_smoothed(fr_store *s, int64_t first, int n, uint8_t *chroma, fr_err *err);

/* Flags, each set only after the data it covers is flushed. */
fr_status fr_store_mark_done(fr_store *s, int64_t batch, fr_err *err);
fr_status fr_store_mark_smoothed(fr_store *s, int64_t batch, fr_err *err);
/* Clears both flags: the batch is to be redone (its shot's references changed). */
fr_status fr_store_mark_undone(fr_store *s, int64_t batch, fr_err *err);
/* Frames decoded in total, once the whole film has been read (else -1). */
int64_t fr_store_frame_count(const fr_store *s);
fr_status fr_store_set_frame_count(fr_store *s, int64_t frames, fr_err *err);

/* Provenance rows (fr_store_run). */
fr_status fr_store_add_run(fr_store *s, const fr_store_run *run, fr_err *err);
int64_t fr_store_run_count(const fr_store *s);
fr_status fr_store_get_run(const fr_store *s, int64_t i, fr_store_run *run, fr_err *err);

/* Losses to damage (--tolerate-damage), in film order; a resumed run finds the same
 * ones and checks them against the rows already stored. */
fr_status fr_store_add_loss(fr_store *s, const fr_loss *loss, fr_err *err);
int64_t fr_store_loss_count(const fr_store *s);
fr_status fr_store_get_loss(const fr_store *s, int64_t i, fr_loss *loss, fr_err *err);

/* Frames in /chroma_smoothed (0 when the run did not smooth). */
int64_t fr_store_smoothed_frames(const fr_store *s);

/* Makes everything written so far durable, in order. */
fr_status fr_store_flush(fr_store *s, fr_err *err);
fr_status fr_store_close(fr_store *s, fr_err *err);
void fr_store_free(fr_store *s); /* closes without reporting errors; NULL is fine */

#endif
