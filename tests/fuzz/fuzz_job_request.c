/* fuzz_job_request.c: libFuzzer target for filmrestored's request parser.
 *
 * Feeds arbitrary bytes to fr_job_request_parse, as the ROUTER socket would;
 * a submit's job then goes through fr_job_spec_parse (against the run option
 * table, with /tmp as the one allowed root) and fr_job_spec_argv, and an error
 * goes through the reply builder. Build and run with `make fuzz`. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "job_ops.h"
#include "job_request.h"
#include "job_spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fr_job_request req;
    fr_err err = {0};
    if (fr_job_request_parse((const char *)data, size, &req, &err) != FR_OK) {
        free(fr_job_ops_error(err.msg, req.id));
        return 0;
    }
    if (req.op == FR_JOB_OP_SUBMIT) {
        const char *roots[] = {"/tmp"};
        fr_job_roots r = {roots, 1};
        fr_job_spec spec;
        if (fr_job_spec_parse(req.job, &r, &spec, &err) == FR_OK) {
            char **argv = NULL;
            if (fr_job_spec_argv(spec.canon, "/bin/filmrestore", &argv, &err) == FR_OK)
                fr_job_argv_free(argv);
            fr_job_spec_clear(&spec);
        } else {
            free(fr_job_ops_error(err.msg, NULL));
        }
    }
    fr_job_request_clear(&req);
    return 0;
}
