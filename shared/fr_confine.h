/* fr_confine.h: keeping a service-started run inside the service's --allow-root folders.
 *
 * filmrestored checks a job's paths with realpath at submit, and again when the job
 * starts; the run it starts gets the roots in FILMRESTORE_JOB_ROOTS (one resolved
 * folder a line) and checks every path once more before it opens anything. That last
 * check walks each path from its root one component at a time with openat and
 * O_NOFOLLOW, so a folder swapped for a symbolic link after the submit is refused
 * rather than followed. Outside a service run (the variable unset) nothing is
 * confined, and every function here says yes. */
#ifndef FR_CONFINE_H
#define FR_CONFINE_H

#include "fr_status.h"

#define FR_CONFINE_ENV "FILMRESTORE_JOB_ROOTS"

typedef enum {
    FR_CONFINE_FILE,      /* must exist: a regular file */
    FR_CONFINE_DIR,       /* must exist: a folder */
    FR_CONFINE_ANY,       /* must exist: a regular file or a folder */
    FR_CONFINE_NEW,       /* may not exist yet (an output, a store); if it does, a regular file */
    FR_CONFINE_SEQUENCE,  /* an image-sequence pattern (scan_%06d.dpx): its folder, and every
                             file in it the pattern can name must be a regular file */
} fr_confine_kind;

/* 1 when this process is a service run (FILMRESTORE_JOB_ROOTS is set). */
int fr_confine_active(void);

/* Checks one path (absolute, or relative to the current folder) against the roots.
 * what names it in the error ("--output"). FR_OK when not confined. */
fr_status fr_confine_check(const char *what, const char *path, fr_confine_kind kind, fr_err *err);

#endif
