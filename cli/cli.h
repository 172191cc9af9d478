/* cli.h: declarations of the subcommand entry points listed in cli_commands.h,
 * and the one error line they print. */
#ifndef FR_CLI_H
#define FR_CLI_H

#include "run_settings.h"

#define FR_COMMAND(name, help) int fr_cmd_##name(int argc, char **argv);
#include "cli_commands.h"
#undef FR_COMMAND

/* Prints a one-line error "filmrestore: <msg>" to stderr. */
void fr_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* `run --ranks 0`: the pipeline in this one process, its node rank a thread (cmd_run.c). */
fr_status fr_run_in_process(const fr_run_settings *s, fr_err *err);

#include "fr_version.h" /* FR_VERSION, for the commands that print it */

#endif
