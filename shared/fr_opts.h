/* fr_opts.h: options declared as data, for every command and the job spec.
 *
 * An option is a row (name, short letter, type, offset, default, range, help)
 * in the style of libavfilter's AVOption tables. A command groups one or more
 * tables, each at an offset inside its settings struct (so `run` can embed the
 * shot detector's table), and the same rows drive getopt_long, range checks,
 * --help, and the keys of a JSON job spec (jobs/job_spec.c). */
#ifndef FR_OPTS_H
#define FR_OPTS_H

#include <stddef.h>
#include <stdio.h>

#include "fr_status.h"

typedef enum {
    FR_OPT_STRING, /* const char *: points into argv or the caller's JSON */
    FR_OPT_LONG,   /* long */
    FR_OPT_DOUBLE, /* double */
    FR_OPT_FLAG,   /* long set to 1 by an option without argument */
    FR_OPT_INT,    /* int, integral values only */
    FR_OPT_FLOAT,  /* float */
    FR_OPT_LIST,   /* fr_opt_list: a repeatable option, each value appended */
} fr_opt_type;

#define FR_OPT_LIST_MAX 16
typedef struct {
    const char *v[FR_OPT_LIST_MAX]; /* point into argv */
    int n;
} fr_opt_list;

typedef struct {
    const char *name;      /* long option and job-spec key */
    int short_name;        /* 0 if none */
    fr_opt_type type;
    size_t offset;         /* in the table's struct */
    const char *def;       /* default, as text; NULL = unset (or set by the struct's own defaults) */
    double min, max;       /* for numbers */
    const char *help;
} fr_opt;

/* One table placed at `base` bytes into the settings struct. */
typedef struct {
    const fr_opt *rows;
    size_t n;
    size_t base;
    const char *title;     /* heading in --help; NULL: none */
} fr_opt_group;

/* Finds a row by long name in the groups; *base gets its group's offset. */
const fr_opt *fr_opts_find(const fr_opt_group *g, size_t ng, const char *name, size_t *base);

/* Sets one option from text, with type and range checks. */
fr_status fr_opts_set(const fr_opt_group *g, size_t ng, void *settings, const char *name,
                      const char *value, fr_err *err);

/* Applies every row's textual default. */
void fr_opts_defaults(const fr_opt_group *g, size_t ng, void *settings);

/* Writes an option's current value as text into buf ("" for an unset string). */
void fr_opts_format(const fr_opt *o, const void *field, char *buf, size_t len);

/* Prints the rows as help text; defaults shown are the values in `defaults`. */
void fr_opts_help(FILE *f, const fr_opt_group *g, size_t ng, const void *defaults);

/* Parses argv (argv[0] is the command) with getopt_long over the groups' rows
 * and "-h/--help"; fills positional[] with the operands (up to max_pos, their
 * count in *n_pos). Returns FR_EOF for --help. */
fr_status fr_opts_getopt(const fr_opt_group *g, size_t ng, void *settings, int argc, char **argv,
                         char **positional, int max_pos, int *n_pos, fr_err *err);

/* A command's whole parse: fr_opts_getopt, then its two early ends. Returns -1 to go
 * on; 0 after --help (usage, then every row with its default, on stdout); 2 after a bad
 * option, printed as one line "filmrestore: COMMAND: why". Defaults are the caller's. */
int fr_opts_command(const fr_opt_group *g, size_t ng, void *settings, const char *usage, int argc, char **argv,
                    char **positional, int max_pos, int *n_pos);

#endif
