/* job_record.h: one spool record (SPOOL/jobs/ID.json) to and from an fr_job.
 *
 * A record on disk is untrusted input: anyone who can write the spool, a torn
 * disk or an older daemon may have left anything there. fr_job_record_parse takes
 * the file's bytes and checks every field the way a request is checked: exactly
 * the record's keys with their JSON types, a well-formed id (the file's own name),
 * a sequence number at most FR_JOB_SEQ_MAX, a known state, counts and times in
 * range, and the spec through fr_job_spec_parse (the run option table) in its
 * shape-only mode. It is the target of tests/fuzz/fuzz_spool_record.c. */
#ifndef FR_JOB_RECORD_H
#define FR_JOB_RECORD_H

#include <jansson.h>
#include <stddef.h>

#include "fr_status.h"
#include "job_queue.h"

/* The largest job sequence number: ids run from j000001 to j999999999. */
#define FR_JOB_SEQ_MAX 999999999L
/* The largest record read back (a spec holds at most a few paths). */
#define FR_JOB_RECORD_MAX (256 * 1024)

/* Parses len bytes; name (the file's id, "j000001") must match the record's id
 * unless NULL. *out is a new job for fr_job_free. */
fr_status fr_job_record_parse(const char *buf, size_t len, const char *name, fr_job **out, fr_err *err);
/* The record of j, or NULL on no memory. */
json_t *fr_job_record_json(const fr_job *j);
void fr_job_free(fr_job *j);

#endif
