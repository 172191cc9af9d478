/* cli.c: helpers shared by the subcommands' option parsers. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void fr_cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("filmrestore: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int fr_cli_parse_int(const char *name, const char *text, long lo, long hi, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || !end || *end || end == text || v < lo || v > hi) {
        fr_cli_error("--%s: '%s' is not an integer in [%ld, %ld]", name, text, lo, hi);
        return 0;
    }
    *out = v;
    return 1;
}
