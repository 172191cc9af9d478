/* fuzz_spool_record.c: libFuzzer target for the spool record reader.
 *
 * Feeds arbitrary bytes to fr_job_record_parse, as a restarted filmrestored
 * reads SPOOL/jobs/ID.json, then writes the job back as a record and builds its
 * run's argv, the two things the daemon does with a record it accepted. Build
 * and run with `make fuzz`. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "job_record.h"
#include "job_spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fr_job *j = NULL;
    fr_err err = {0};
    if (fr_job_record_parse((const char *)data, size, NULL, &j, &err) != FR_OK)
        return 0;
    json_t *r = fr_job_record_json(j);
    if (!r)
        abort(); /* an accepted record must write back */
    json_decref(r);
    char **argv = NULL;
    if (fr_job_spec_argv(j->spec, "/bin/filmrestore", &argv, &err) == FR_OK)
        fr_job_argv_free(argv);
    fr_job_free(j);
    return 0;
}
