/* fr_log.h: logging that names its source ("[coordinator]", "[node 3]").
 *
 * Logs and progress go to stderr; data goes to stdout. The level threshold comes
 * from fr_log_set_level() or the FILMRESTORE_LOG environment variable
 * (error, warn, info, debug). The sink is a single function pointer, replaceable
 * by tests or the job service. */
#ifndef FR_LOG_H
#define FR_LOG_H

typedef enum { FR_LOG_ERROR = 0, FR_LOG_WARN, FR_LOG_INFO, FR_LOG_DEBUG } fr_log_level;

typedef void (*fr_log_sink)(fr_log_level level, const char *source, const char *line);

void fr_log_set_level(fr_log_level level);
fr_log_level fr_log_get_level(void);
/* Replaces the sink; NULL restores the default (stderr). */
void fr_log_set_sink(fr_log_sink sink);

void fr_log(fr_log_level level, const char *source, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define fr_error(src, ...) fr_log(FR_LOG_ERROR, src, __VA_ARGS__)
#define fr_warn(src, ...) fr_log(FR_LOG_WARN, src, __VA_ARGS__)
#define fr_info(src, ...) fr_log(FR_LOG_INFO, src, __VA_ARGS__)
#define fr_debug(src, ...) fr_log(FR_LOG_DEBUG, src, __VA_ARGS__)

#endif
