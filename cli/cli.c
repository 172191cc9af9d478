/* cli.c: the one error line every subcommand prints ("filmrestore: ..."). */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>

void fr_cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("filmrestore: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}
