/* fuzz_model.c: fr_model_open on arbitrary bytes. Every input must end in FR_OK or one
 * error message; the model loader must never read past a buffer, overflow a size or
 * allocate what the file does not hold. */
#include <stdint.h>

#include "fr_model.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fr_model *m = NULL;
    fr_err err;
    if (fr_model_open(&m, fuzz_path(data, size, NULL), &err) == FR_OK) {
        for (int i = 0; i < fr_model_count(m); i++) { /* what a generator does with it */
            const fr_model_tensor *t = fr_model_at(m, i);
            volatile float sink = t->data[t->count - 1];
            (void)sink;
        }
    }
    fr_model_free(m);
    return 0;
}
