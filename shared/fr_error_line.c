/* fr_error_line.c: prints the one error line "filmrestore: <msg>" (fr_error_line.h). */
#include "fr_error_line.h"

#include <stdio.h>

void fr_error_vline(const char *fmt, va_list ap)
{
    fputs("filmrestore: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void fr_error_line(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fr_error_vline(fmt, ap);
    va_end(ap);
}
