/* job_spec.h: a job spec (the "job" object of a submit) checked field by field
 * and mapped onto `filmrestore run`'s option table (shared/run_settings.h).
 *
 * Keys are the run options' long names ("render-factor", "smooth-radius",
 * "cut-threshold", ...), plus "input" (run's operand) and "priority" (the
 * queue's order; higher first). There is no second list of fields: a key is
 * valid exactly when `run` has that option. Values must have the option's JSON
 * type (string, integer, number, or boolean for flags) and pass its range
 * check. Paths (input, output, store, a model file) must be absolute and lie,
 * once resolved with realpath, under one of the allowed roots.
 *
 * The canonical spec keeps every field given, with paths resolved; it is what
 * the queue stores and what becomes the run's argv (never a shell line). */
#ifndef FR_JOB_SPEC_H
#define FR_JOB_SPEC_H

#include <jansson.h>

#include "fr_status.h"
#include "run_settings.h"

typedef struct {
    const char *const *roots; /* realpath-resolved directories */
    int n;
} fr_job_roots;

typedef struct {
    json_t *canon;     /* owned: the checked spec, paths resolved */
    fr_run_settings s; /* strings point into canon */
    long priority;
} fr_job_spec;

/* Checks job against the run options and the roots; fills *out (clear it with
 * fr_job_spec_clear). err names the field at fault. roots NULL (a spec read back
 * from the spool): every check but the paths' resolution, which needs the files;
 * paths must still be absolute. */
fr_status fr_job_spec_parse(const json_t *job, const fr_job_roots *roots, fr_job_spec *out, fr_err *err);
void fr_job_spec_clear(fr_job_spec *spec);

/* The argv of `exe run ...` for a canonical spec: NULL-terminated, malloc'd
 * (free the array and each string with fr_job_argv_free). */
fr_status fr_job_spec_argv(const json_t *canon, const char *exe, char ***argv, fr_err *err);
void fr_job_argv_free(char **argv);

#endif
