/* fr_error_line.h: the one error line a failing command prints, "filmrestore: <msg>" on
 * stderr. Every layer that ends a command (the CLI, the launcher, the coordinator rank
 * when no launcher reports for it) prints it through here. */
#ifndef FR_ERROR_LINE_H
#define FR_ERROR_LINE_H

#include <stdarg.h>

void fr_error_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fr_error_vline(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif
