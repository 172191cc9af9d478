/* fr_model_check.h: a model file read once in a child process before any rank loads it.
 *
 * libhdf5 trusts the file's structure: fuzzing found malformed files that overflow inside
 * its attribute-message decoding (docs/reliability.md), where no check of ours can come
 * first. So `run` and `colorize-image` read a model file given by path completely (every
 * attribute, every tensor, the weights' hash: fr_model_open) in a forked child with a
 * memory and time limit. A file the child reads gives the same result in the ranks; one
 * the child cannot read is the child's own one-line error; one that kills the child
 * (SIGSEGV, SIGABRT, the memory limit, the time limit) is refused in one line naming the
 * file and the signal, and no rank is started. Built-in models (gray, tint, default) are
 * ours and are not checked. */
#ifndef FR_MODEL_CHECK_H
#define FR_MODEL_CHECK_H

#include "fr_status.h"

/* FR_OK when SPEC is a built-in name or a model file that fr_model_open reads;
 * FR_ERR_MODEL (or the child's own status) otherwise. */
fr_status fr_model_check_isolated(const char *spec, fr_err *err);

#endif
