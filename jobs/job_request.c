/* job_request.c: parsing and checking a request's envelope (job_request.h).
 * The job spec itself is checked by job_spec.c. */
#include "job_request.h"

#include <string.h>

static const struct {
    const char *name;
    fr_job_op op;
    const char *field; /* the one field beside "op", or NULL */
} ops[] = {
    {"submit", FR_JOB_OP_SUBMIT, "job"},
    {"status", FR_JOB_OP_STATUS, "id"},
    {"list", FR_JOB_OP_LIST, NULL},
    {"cancel", FR_JOB_OP_CANCEL, "id"},
    {"ping", FR_JOB_OP_PING, NULL},
};

int fr_job_id_valid(const char *t)
{
    size_t n = strlen(t);
    if (n < 2 || n > 13 || t[0] != 'j')
        return 0;
    for (size_t i = 1; i < n; i++)
        if (t[i] < '0' || t[i] > '9')
            return 0;
    return 1;
}

void fr_job_request_clear(fr_job_request *req)
{
    if (!req)
        return;
    json_decref(req->root);
    memset(req, 0, sizeof *req);
}

fr_status fr_job_request_parse(const char *buf, size_t len, fr_job_request *req, fr_err *err)
{
    memset(req, 0, sizeof *req);
    json_error_t je;
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return fr_err_set(err, FR_ERR_JOB, "malformed JSON at byte %d: %s", je.position, je.text);
    fr_status st = FR_OK;
    if (!json_is_object(root)) {
        st = fr_err_set(err, FR_ERR_JOB, "a request must be a JSON object");
        goto fail;
    }
    json_t *op = json_object_get(root, "op");
    if (!json_is_string(op)) {
        st = fr_err_set(err, FR_ERR_JOB, op ? "field 'op' must be a string" : "missing field 'op'");
        goto fail;
    }
    size_t k = 0;
    while (k < sizeof ops / sizeof ops[0] && strcmp(ops[k].name, json_string_value(op)))
        k++;
    if (k == sizeof ops / sizeof ops[0]) {
        st = fr_err_set(err, FR_ERR_JOB, "unknown op (expected submit, status, list, cancel or ping)");
        goto fail;
    }
    req->op = ops[k].op;
    json_t *id = json_object_get(root, "id");
    if (json_is_string(id) && fr_job_id_valid(json_string_value(id)))
        snprintf(req->id, sizeof req->id, "%s", json_string_value(id));
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value) {
        if (strcmp(key, "op") && !(ops[k].field && !strcmp(key, ops[k].field))) {
            st = fr_err_set(err, FR_ERR_JOB, "unknown field '%.64s' for op %s", key, ops[k].name);
            goto fail;
        }
    }
    if (ops[k].field) {
        value = json_object_get(root, ops[k].field);
        if (!value) {
            st = fr_err_set(err, FR_ERR_JOB, "op %s needs field '%s'", ops[k].name, ops[k].field);
            goto fail;
        }
        if (req->op == FR_JOB_OP_SUBMIT && !json_is_object(value)) {
            st = fr_err_set(err, FR_ERR_JOB, "field 'job' must be an object");
            goto fail;
        }
        if (req->op != FR_JOB_OP_SUBMIT && !req->id[0]) {
            st = fr_err_set(err, FR_ERR_JOB, "field 'id' must be a job id such as \"j000001\"");
            goto fail;
        }
        if (req->op == FR_JOB_OP_SUBMIT)
            req->job = value;
    }
    req->root = root;
    return FR_OK;
fail:
    json_decref(root);
    req->op = 0;
    return st;
}
