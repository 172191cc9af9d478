/* fr_verify_store.h: checking an output against the source and the store it came from.
 *
 * `filmrestore verify OUTPUT --store STORE` rebuilds every frame as the run built it,
 * from the source's luma and the store's chroma (fr_remux in its verify mode, so it is
 * the very code that wrote the output), and compares it with the frame decoded from
 * OUTPUT: luma against the source, chroma against the store. Lossless outputs (FFV1,
 * PNG, TIFF) must match exactly; lossy ones (H.264, ProRes) must stay within
 * FR_VERIFY_LOSSY_DB of it. The source must still be the file the store was made
 * from (size and content hash), and the store must be complete, its /timestamps
 * increasing. Each frame's timestamp must be the source's and the store's; the
 * container's streams, video parameters and provenance tags are checked by
 * fr_verify_container (fr_verify_streams.h). */
#ifndef FR_VERIFY_STORE_H
#define FR_VERIFY_STORE_H

#include <stdint.h>

#include "fr_status.h"
#include "fr_video_in.h"

#define FR_VERIFY_LOSSY_DB 30.0 /* PSNR floor for lossy codecs, luma and chroma apart */

typedef struct {
    int64_t frames;        /* frames compared */
    int lossless;          /* 1: compared exactly */
    double min_luma_db;    /* lossy codecs: the worst frame's PSNR (INFINITY when identical) */
    double min_chroma_db;
    int smoothed;          /* 1: the chroma came from /chroma_smoothed */
    int64_t guided_shots;  /* shots whose chroma came from /references/chroma_guided */
    int64_t losses;        /* losses to damage recorded in the store */
    int64_t runs;          /* runs recorded in its provenance */
    int restored;          /* 1: the luma compared is the source's as the run restored it */
} fr_verify_report;

/* The luma a run encoded when it is not the source's: restoration ran on the nodes, and
 * its code (nodes/restore_film.h) is above this layer, so the caller hands it in. open
 * leaves *ctx NULL when the store's run kept the source's luma. */
struct fr_store;
typedef struct {
    fr_status (*open)(void **ctx, const struct fr_store *store, fr_err *err);
    fr_status (*luma)(void *ctx, const fr_frame *f, fr_plane *out, fr_err *err);
    void (*close)(void *ctx);
} fr_verify_luma;

/* FR_OK when every frame matches; FR_ERR_MISMATCH names the first frame and plane
 * that does not, other codes a file that cannot be read. */
fr_status fr_verify_store(const char *output, const char *store_path, const fr_verify_luma *luma, fr_verify_report *rep,
                          fr_err *err);

#endif
