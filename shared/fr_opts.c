/* fr_opts.c: the option-table engine (fr_opts.h): lookup, typed setting with
 * range checks, --help, and getopt_long over several tables at once. */
#include "fr_opts.h"

#include "fr_error_line.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROWS 128

const fr_opt *fr_opts_find(const fr_opt_group *g, size_t ng, const char *name, size_t *base)
{
    for (size_t k = 0; k < ng; k++)
        for (size_t i = 0; i < g[k].n; i++)
            if (!strcmp(g[k].rows[i].name, name)) {
                if (base)
                    *base = g[k].base;
                return &g[k].rows[i];
            }
    return NULL;
}

static fr_status set_row(const fr_opt *o, char *field, const char *value, fr_err *err)
{
    char *end = NULL;
    errno = 0;
    switch (o->type) {
    case FR_OPT_STRING:
        if (!value || !*value)
            return fr_err_set(err, FR_ERR_ARG, "--%s: empty value", o->name);
        *(const char **)field = value;
        return FR_OK;
    case FR_OPT_LIST: {
        fr_opt_list *l = (fr_opt_list *)(void *)field;
        if (l->n == FR_OPT_LIST_MAX)
            return fr_err_set(err, FR_ERR_ARG, "--%s: more than %d given", o->name, FR_OPT_LIST_MAX);
        l->v[l->n++] = value;
        return FR_OK;
    }
    case FR_OPT_LONG:
    case FR_OPT_FLAG:
    case FR_OPT_INT: {
        long v = strtol(value, &end, 10);
        if (errno || end == value || *end || v < o->min || v > o->max)
            return fr_err_set(err, FR_ERR_ARG, "--%s: '%s' is not an integer in [%g, %g]", o->name,
                              value, o->min, o->max);
        if (o->type == FR_OPT_INT)
            *(int *)field = (int)v;
        else
            *(long *)field = v;
        return FR_OK;
    }
    case FR_OPT_DOUBLE:
    case FR_OPT_FLOAT: {
        double v = strtod(value, &end);
        if (errno || end == value || *end || !isfinite(v) || v < o->min || v > o->max)
            return fr_err_set(err, FR_ERR_ARG, "--%s: '%s' is not a number in [%g, %g]", o->name,
                              value, o->min, o->max);
        if (o->type == FR_OPT_FLOAT)
            *(float *)field = (float)v;
        else
            *(double *)field = v;
        return FR_OK;
    }
    }
    return fr_err_set(err, FR_ERR_INTERNAL, "--%s: bad option type", o->name);
}

fr_status fr_opts_set(const fr_opt_group *g, size_t ng, void *settings, const char *name,
                      const char *value, fr_err *err)
{
    size_t base = 0;
    const fr_opt *o = fr_opts_find(g, ng, name, &base);
    if (!o)
        return fr_err_set(err, FR_ERR_ARG, "unknown setting '%s'", name);
    return set_row(o, (char *)settings + base + o->offset, value, err);
}

void fr_opts_defaults(const fr_opt_group *g, size_t ng, void *settings)
{
    for (size_t k = 0; k < ng; k++)
        for (size_t i = 0; i < g[k].n; i++)
            if (g[k].rows[i].def)
                set_row(&g[k].rows[i], (char *)settings + g[k].base + g[k].rows[i].offset,
                        g[k].rows[i].def, NULL);
}

void fr_opts_format(const fr_opt *o, const void *field, char *buf, size_t len)
{
    switch (o->type) {
    case FR_OPT_STRING: {
        const char *s = *(const char *const *)field;
        snprintf(buf, len, "%s", s ? s : "");
        break;
    }
    case FR_OPT_LONG:
    case FR_OPT_FLAG: snprintf(buf, len, "%ld", *(const long *)field); break;
    case FR_OPT_INT: snprintf(buf, len, "%d", *(const int *)field); break;
    case FR_OPT_DOUBLE: snprintf(buf, len, "%.17g", *(const double *)field); break;
    case FR_OPT_FLOAT: snprintf(buf, len, "%.9g", (double)*(const float *)field); break;
    case FR_OPT_LIST: {
        const fr_opt_list *l = (const fr_opt_list *)(const void *)field;
        snprintf(buf, len, "%s", l->n ? l->v[0] : "");
        break;
    }
    }
}

void fr_opts_help(FILE *f, const fr_opt_group *g, size_t ng, const void *defaults)
{
    for (size_t k = 0; k < ng; k++) {
        if (g[k].title)
            fprintf(f, "\n%s:\n", g[k].title);
        for (size_t i = 0; i < g[k].n; i++) {
            const fr_opt *o = &g[k].rows[i];
            char flag[64], def[64] = "";
            if (o->short_name)
                snprintf(flag, sizeof flag, "-%c, --%s", o->short_name, o->name);
            else
                snprintf(flag, sizeof flag, "    --%s", o->name);
            fprintf(f, "  %-24s %s", flag, o->help);
            if (o->def)
                snprintf(def, sizeof def, "%s", o->def);
            else if (defaults && o->type != FR_OPT_STRING && o->type != FR_OPT_FLAG && o->type != FR_OPT_LIST) {
                const char *field = (const char *)defaults + g[k].base + o->offset;
                if (o->type == FR_OPT_FLOAT)
                    snprintf(def, sizeof def, "%g", (double)*(const float *)field);
                else
                    fr_opts_format(o, field, def, sizeof def);
            }
            if (def[0])
                fprintf(f, " [%s]", def);
            fputc('\n', f);
        }
    }
}

fr_status fr_opts_getopt(const fr_opt_group *g, size_t ng, void *settings, int argc, char **argv,
                         char **positional, int max_pos, int *n_pos, fr_err *err)
{
    struct option lopts[MAX_ROWS + 2];
    const fr_opt *rows[MAX_ROWS];
    size_t bases[MAX_ROWS];
    char shorts[2 * MAX_ROWS + 4] = "h";
    size_t k = 0, ls = 1;
    for (size_t j = 0; j < ng; j++)
        for (size_t i = 0; i < g[j].n; i++) {
            if (k == MAX_ROWS)
                return fr_err_set(err, FR_ERR_INTERNAL, "more than %d options", MAX_ROWS);
            const fr_opt *o = &g[j].rows[i];
            int flag = o->type == FR_OPT_FLAG;
            rows[k] = o;
            bases[k] = g[j].base;
            lopts[k] = (struct option){o->name, flag ? no_argument : required_argument, NULL, 256 + (int)k};
            k++;
            if (o->short_name) {
                shorts[ls++] = (char)o->short_name;
                if (!flag)
                    shorts[ls++] = ':';
                shorts[ls] = 0;
            }
        }
    lopts[k++] = (struct option){"help", no_argument, NULL, 'h'};
    lopts[k] = (struct option){0};
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, shorts, lopts, NULL)) != -1) {
        if (c == 'h')
            return FR_EOF;
        if (c == '?')
            return fr_err_set(err, FR_ERR_ARG, "unknown or incomplete option '%s'", argv[optind - 1]);
        int r = -1;
        if (c >= 256)
            r = c - 256;
        else
            for (size_t i = 0; i + 1 < k; i++)
                if (rows[i]->short_name == c)
                    r = (int)i;
        if (r < 0)
            return fr_err_set(err, FR_ERR_ARG, "unknown option");
        const fr_opt *o = rows[r];
        fr_status st = set_row(o, (char *)settings + bases[r] + o->offset,
                               o->type == FR_OPT_FLAG ? "1" : optarg, err);
        if (st != FR_OK)
            return st;
    }
    *n_pos = 0;
    for (int i = optind; i < argc; i++) {
        if (*n_pos == max_pos)
            return fr_err_set(err, FR_ERR_ARG, "unexpected operand '%s'", argv[i]);
        positional[(*n_pos)++] = argv[i];
    }
    return FR_OK;
}

int fr_opts_command(const fr_opt_group *g, size_t ng, void *settings, const char *usage, int argc, char **argv,
                    char **positional, int max_pos, int *n_pos)
{
    fr_err err = {0};
    fr_status st = fr_opts_getopt(g, ng, settings, argc, argv, positional, max_pos, n_pos, &err);
    if (st == FR_EOF) {
        fputs(usage, stdout);
        fr_opts_help(stdout, g, ng, settings);
        return 0;
    }
    if (st != FR_OK) {
        fr_error_line("%s: %s", argv[0], err.msg);
        return 2;
    }
    return -1;
}
