/* job_request.h: one request to filmrestored, parsed from its JSON bytes.
 *
 * A request is one JSON object whose "op" names the operation (docs/jobs.md):
 *   {"op":"submit","job":{...}}  {"op":"status","id":"j000001"}  {"op":"list"}
 *   {"op":"cancel","id":"j000001"}  {"op":"ping"}
 * Every other field is refused, so a typo is an error and not a silent default.
 * The parser takes untrusted bytes (any length, any content) and is the target
 * of tests/fuzz/fuzz_job_request.c. */
#ifndef FR_JOB_REQUEST_H
#define FR_JOB_REQUEST_H

#include <jansson.h>
#include <stddef.h>

#include "fr_status.h"

typedef enum { FR_JOB_OP_SUBMIT, FR_JOB_OP_STATUS, FR_JOB_OP_LIST, FR_JOB_OP_CANCEL, FR_JOB_OP_PING } fr_job_op;

#define FR_JOB_ID_LEN 32

typedef struct {
    fr_job_op op;
    char id[FR_JOB_ID_LEN]; /* status, cancel: a well-formed job id; else "" */
    json_t *root;           /* the whole request (owned; fr_job_request_clear frees it) */
    json_t *job;            /* submit: the job spec object, borrowed from root */
} fr_job_request;

/* Parses len bytes. On failure req holds nothing to free and err says what was
 * wrong; req->id is still filled when the request named a well-formed id. */
fr_status fr_job_request_parse(const char *buf, size_t len, fr_job_request *req, fr_err *err);
void fr_job_request_clear(fr_job_request *req);

/* 1 if text is a job id as the service makes them: 'j' and 1 to 12 digits. */
int fr_job_id_valid(const char *text);

#endif
