/* run_confine.c: a service-started `run` checks its own paths against the service's roots
 * before it opens anything (run_confine.h, shared/fr_confine.h). */
#include "run_confine.h"

#include <string.h>

#include "fr_confine.h"
#include "pipeline.h"

fr_status fr_run_confine(const fr_run_settings *s, fr_err *err)
{
    if (!fr_confine_active())
        return FR_OK;
    char store[1100];
    fr_pipeline_store_path(s, store, sizeof store);
    fr_status st = fr_confine_check("input", s->input, strchr(s->input, '%') ? FR_CONFINE_SEQUENCE : FR_CONFINE_FILE, err);
    if (st == FR_OK)
        st = fr_confine_check("--output", s->output, FR_CONFINE_NEW, err);
    if (st == FR_OK)
        st = fr_confine_check("--store", store, FR_CONFINE_NEW, err);
    if (st == FR_OK && s->stages.references)
        st = fr_confine_check("--references", s->stages.references, FR_CONFINE_ANY, err);
    if (st == FR_OK && s->hostfile)
        st = fr_confine_check("--hostfile", s->hostfile, FR_CONFINE_FILE, err);
    if (st == FR_OK && s->model && strcmp(s->model, "default") && strcmp(s->model, "gray") && strcmp(s->model, "tint"))
        st = fr_confine_check("--model", s->model, FR_CONFINE_FILE, err);
    return st;
}
