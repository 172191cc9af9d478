/* fr_log.c: the default stderr sink and level filtering for fr_log.h. */
#include "fr_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int g_level = -1; /* -1: not yet read from the environment */
static fr_log_sink g_sink;

static void default_sink(fr_log_level level, const char *source, const char *line)
{
    static const char *names[] = {"error", "warning", "", ""};
    if (level <= FR_LOG_WARN)
        fprintf(stderr, "[%s] %s: %s\n", source, names[level], line);
    else
        fprintf(stderr, "[%s] %s\n", source, line);
}

fr_log_level fr_log_get_level(void)
{
    if (g_level < 0) {
        const char *e = getenv("FILMRESTORE_LOG");
        g_level = FR_LOG_INFO;
        if (e) {
            if (!strcmp(e, "error")) g_level = FR_LOG_ERROR;
            else if (!strcmp(e, "warn")) g_level = FR_LOG_WARN;
            else if (!strcmp(e, "debug")) g_level = FR_LOG_DEBUG;
        }
    }
    return (fr_log_level)g_level;
}

void fr_log_set_level(fr_log_level level) { g_level = (int)level; }

void fr_log_set_sink(fr_log_sink sink) { g_sink = sink; }

void fr_log(fr_log_level level, const char *source, const char *fmt, ...)
{
    if ((int)level > (int)fr_log_get_level())
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    (g_sink ? g_sink : default_sink)(level, source, line);
}
