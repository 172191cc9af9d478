/* fr_status.h: the project's one status type and the caller-owned error buffer.
 *
 * Every fallible function returns an fr_status and, on failure, writes a one-line
 * human message into an fr_err that the caller owns (Redis's anet.c style). The
 * message names the failing call or the offending input; callers print it as is.
 * A NULL fr_err is allowed: the message is then dropped. */
#ifndef FR_STATUS_H
#define FR_STATUS_H

#include <stddef.h>

typedef enum {
    FR_OK = 0,
    FR_EOF,            /* end of a stream: not an error for loops that read to the end */
    FR_ERR_ARG,        /* bad command-line or API argument */
    FR_ERR_IO,         /* file system or device error */
    FR_ERR_INPUT,      /* input media is missing, corrupt, truncated or unsupported */
    FR_ERR_NOMEM,
    FR_ERR_CODEC,      /* FFmpeg encode/decode/mux failure */
    FR_ERR_MODEL,      /* model file wrong, truncated or mismatched */
    FR_ERR_STORE,      /* HDF5 store error */
    FR_ERR_MISMATCH,   /* a store or checkpoint that belongs to other inputs/settings */
    FR_ERR_MPI,
    FR_ERR_JOB,        /* malformed job spec or job-service failure */
    FR_ERR_BACKEND,    /* compute backend (oneDNN, cuDNN, ...) failure */
    FR_ERR_INTERRUPTED,
    FR_ERR_INTERNAL,
} fr_status;

#define FR_ERR_MSG_LEN 512

typedef struct {
    fr_status code;
    char msg[FR_ERR_MSG_LEN];
} fr_err;

/* Short fixed name of a status, e.g. "invalid input". */
const char *fr_status_str(fr_status s);

/* Records code and a printf-style message into err (if non-NULL); returns code,
 * so callers can write `return fr_err_set(err, FR_ERR_IO, "open %s: %s", p, strerror(e));`. */
fr_status fr_err_set(fr_err *err, fr_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes the existing message with more context: "context: old message". */
fr_status fr_err_wrap(fr_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Maps an FFmpeg error code (negative AVERROR) to text; call names the libav function. */
fr_status fr_err_av(fr_err *err, fr_status code, int averr, const char *call);

/* Process exit code for a status: 0 for FR_OK, 2 for bad arguments, 1 otherwise. */
int fr_status_exit_code(fr_status s);

#endif
