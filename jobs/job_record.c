/* job_record.c: spool records, checked as untrusted input (job_record.h). */
#include "job_record.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job_spec.h"

static const char *const state_names[] = {"queued", "running", "done", "failed", "cancelled"};

const char *fr_job_state_name(fr_job_state s) { return state_names[s]; }
int fr_job_state_final(fr_job_state s) { return s == FR_JOB_DONE || s == FR_JOB_FAILED || s == FR_JOB_CANCELLED; }

static int state_parse(const char *t, fr_job_state *s)
{
    for (int i = 0; i < 5; i++)
        if (!strcmp(t, state_names[i])) {
            *s = (fr_job_state)i;
            return 1;
        }
    return 0;
}

void fr_job_free(fr_job *j)
{
    if (!j)
        return;
    json_decref(j->spec);
    free(j);
}

json_t *fr_job_record_json(const fr_job *j)
{
    json_t *r = json_pack("{s:s, s:s, s:O, s:I, s:i, s:i, s:s, s:s, s:f, s:f, s:f, s:b}", "id", j->id, "state",
                          fr_job_state_name(j->state), "spec", j->spec, "priority", (json_int_t)j->priority,
                          "attempts", j->attempts, "exit_code", j->exit_code, "error", j->error, "runner_ref",
                          j->runner_ref, "submitted", j->submitted, "started", j->started, "finished",
                          j->finished, "cancel_requested", j->cancel_requested);
    if (r && j->owner[0] && json_object_set_new(r, "owner", json_string(j->owner)) != 0) {
        json_decref(r);
        return NULL;
    }
    return r;
}

/* A string field fits its buffer, with no NUL inside. */
static int fits(const char *s, size_t cap)
{
    return strlen(s) < cap;
}

static int time_ok(double t) { return isfinite(t) && t >= 0 && t < 1e11; }

fr_status fr_job_record_parse(const char *buf, size_t len, const char *name, fr_job **out, fr_err *err)
{
    *out = NULL;
    if (len > FR_JOB_RECORD_MAX)
        return fr_err_set(err, FR_ERR_JOB, "the record is %zu bytes, more than %d", len, FR_JOB_RECORD_MAX);
    json_error_t je;
    json_t *r = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    if (!r)
        return fr_err_set(err, FR_ERR_JOB, "malformed JSON at byte %d: %s", je.position, je.text);
    const char *id = NULL, *state = NULL, *error = "", *ref = "", *owner = "";
    json_t *spec = NULL;
    json_int_t prio = 0;
    int attempts = 0, exit_code = 0, cancel = 0;
    double sub = 0, start = 0, fin = 0;
    fr_status st = FR_OK;
    fr_job_state s = FR_JOB_QUEUED;
    fr_job_spec checked = {0};
    fr_job *j = NULL;
    if (json_unpack_ex(r, &je, JSON_STRICT, "{s:s, s:s, s:o, s:I, s:i, s:i, s:s, s:s, s:F, s:F, s:F, s:b, s?s}",
                       "id", &id, "state", &state, "spec", &spec, "priority", &prio, "attempts", &attempts,
                       "exit_code", &exit_code, "error", &error, "runner_ref", &ref, "submitted", &sub, "started",
                       &start, "finished", &fin, "cancel_requested", &cancel, "owner", &owner) != 0) {
        st = fr_err_set(err, FR_ERR_JOB, "not a job record: %s", je.text);
        goto done;
    }
    if (!fr_job_id_valid(id) || strtol(id + 1, NULL, 10) < 1 || strtol(id + 1, NULL, 10) > FR_JOB_SEQ_MAX) {
        st = fr_err_set(err, FR_ERR_JOB, "id '%.40s' is not j and 1 to 9 digits, from j000001", id);
        goto done;
    }
    if (name && strcmp(name, id)) {
        st = fr_err_set(err, FR_ERR_JOB, "the record says id %s, its file name %.40s", id, name);
        goto done;
    }
    if (!state_parse(state, &s)) {
        st = fr_err_set(err, FR_ERR_JOB, "unknown state '%.40s'", state);
        goto done;
    }
    if (prio < -1000 || prio > 1000 || attempts < 0 || attempts > 1000000 || !time_ok(sub) || !time_ok(start) ||
        !time_ok(fin)) {
        st = fr_err_set(err, FR_ERR_JOB, "priority, attempts or a time out of range");
        goto done;
    }
    if (!fits(error, sizeof j->error) || !fits(ref, sizeof j->runner_ref) || !fits(owner, sizeof j->owner)) {
        st = fr_err_set(err, FR_ERR_JOB, "field 'error', 'runner_ref' or 'owner' too long");
        goto done;
    }
    fr_err e = {0};
    if (fr_job_spec_parse(spec, NULL, &checked, &e) != FR_OK) {
        st = fr_err_set(err, FR_ERR_JOB, "spec: %s", e.msg);
        goto done;
    }
    if (!(j = calloc(1, sizeof *j))) {
        st = fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        goto done;
    }
    snprintf(j->id, sizeof j->id, "%s", id);
    j->seq = strtol(id + 1, NULL, 10);
    j->state = s;
    j->spec = checked.canon;
    checked.canon = NULL;
    j->priority = (long)prio;
    j->attempts = attempts;
    j->exit_code = exit_code;
    snprintf(j->error, sizeof j->error, "%s", error);
    snprintf(j->runner_ref, sizeof j->runner_ref, "%s", ref);
    snprintf(j->owner, sizeof j->owner, "%s", owner);
    j->submitted = sub;
    j->started = start;
    j->finished = fin;
    j->cancel_requested = cancel;
    j->total = -1;
    j->eta = -1;
    *out = j;
done:
    fr_job_spec_clear(&checked);
    json_decref(r);
    return st;
}
