/* cli.c: the one error line every subcommand prints ("filmrestore: ..."), as
 * shared/fr_error_line.c writes it. */
#include "cli.h"

#include <stdarg.h>

#include "fr_error_line.h"

void fr_cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fr_error_vline(fmt, ap);
    va_end(ap);
}
