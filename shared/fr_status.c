/* fr_status.c: status names and the error-buffer helpers declared in fr_status.h. */
#include "fr_status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libavutil/error.h>

const char *fr_status_str(fr_status s)
{
    switch (s) {
    case FR_OK: return "ok";
    case FR_EOF: return "end of stream";
    case FR_ERR_ARG: return "invalid argument";
    case FR_ERR_IO: return "i/o error";
    case FR_ERR_INPUT: return "invalid input";
    case FR_ERR_NOMEM: return "out of memory";
    case FR_ERR_CODEC: return "codec error";
    case FR_ERR_MODEL: return "model error";
    case FR_ERR_STORE: return "store error";
    case FR_ERR_MISMATCH: return "mismatch";
    case FR_ERR_MPI: return "mpi error";
    case FR_ERR_JOB: return "job error";
    case FR_ERR_BACKEND: return "backend error";
    case FR_ERR_INTERRUPTED: return "interrupted";
    case FR_ERR_INTERNAL: return "internal error";
    }
    return "unknown status";
}

fr_status fr_err_set(fr_err *err, fr_status code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

fr_status fr_err_wrap(fr_err *err, const char *fmt, ...)
{
    if (!err)
        return FR_ERR_INTERNAL;
    char prefix[FR_ERR_MSG_LEN], old[FR_ERR_MSG_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    size_t k = strlen(prefix);
    if (k > sizeof err->msg - 3)
        k = sizeof err->msg - 3;
    memcpy(err->msg, prefix, k);
    memcpy(err->msg + k, ": ", 2);
    size_t room = sizeof err->msg - k - 2;
    size_t m = strnlen(old, room - 1);
    memcpy(err->msg + k + 2, old, m);
    err->msg[k + 2 + m] = 0;
    return err->code;
}

fr_status fr_err_av(fr_err *err, fr_status code, int averr, const char *call)
{
    char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
    av_strerror(averr, buf, sizeof buf);
    return fr_err_set(err, code, "%s: %s", call, buf);
}

int fr_status_exit_code(fr_status s)
{
    if (s == FR_OK)
        return 0;
    return s == FR_ERR_ARG ? 2 : 1;
}
