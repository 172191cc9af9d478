/* fr_outfile.h: an output file that appears whole or not at all.
 *
 * The muxer writes into a temporary file through an AVIOContext whose callbacks go
 * through fr_sys (so tests can inject faults). Commit flushes, checks that every write
 * succeeded, fsyncs, closes and renames the file into place; an error at any step names
 * the file and the system's reason (errno), and leaves no output. Freeing an uncommitted
 * file removes the temporary. Ownership: the caller owns the handle; free(NULL) is safe. */
#ifndef FR_OUTFILE_H
#define FR_OUTFILE_H

#include "fr_status.h"

struct AVIOContext;
typedef struct fr_outfile fr_outfile;

/* Creates tmp_path (truncating it) for output that will become final_path. */
fr_status fr_outfile_open(fr_outfile **out, const char *tmp_path, const char *final_path, fr_err *err);
/* The context to hand to libavformat (AVFormatContext.pb); owned by the outfile. */
struct AVIOContext *fr_outfile_avio(fr_outfile *o);
/* Makes the output durable and renames it into place. */
fr_status fr_outfile_commit(fr_outfile *o, fr_err *err);
void fr_outfile_free(fr_outfile *o);

#endif
