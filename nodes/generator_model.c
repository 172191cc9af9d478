/* generator_model.c: the engine-backed generator for model files.
 *
 * Until the inference engine (nodes/engine/) lands, model files are refused
 * with a clear message; the built-in generators work. */
#include "generator_impl.h"

fr_status fr_generator_open_model(fr_generator *g, const char *path, const fr_generator_opts *opts,
                                  fr_err *err)
{
    (void)g;
    (void)opts;
    return fr_err_set(err, FR_ERR_MODEL, "%s: model files need the inference engine, not built yet", path);
}
