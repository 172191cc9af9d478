/* stages.c: the table of node stages, and what loops over it (stage.h). */
#include "stage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const fr_stage fr_stage_deflicker, fr_stage_dust, fr_stage_scratches, fr_stage_denoise, fr_stage_colorize,
    fr_stage_smooth, fr_stage_guide, fr_stage_regrain, fr_stage_encode;

/* In the order a node runs them. */
const fr_stage *const fr_stages[] = {
    &fr_stage_deflicker, &fr_stage_dust,  &fr_stage_scratches, &fr_stage_denoise, &fr_stage_colorize,
    &fr_stage_smooth,    &fr_stage_guide, &fr_stage_regrain,   &fr_stage_encode,
};
const size_t fr_stage_count = sizeof fr_stages / sizeof fr_stages[0];

const fr_opt fr_stage_restore_opts[] = {
    {"restore", 0, FR_OPT_STRING, offsetof(fr_stage_settings, restore), NULL, 0, 0,
     "restore the film before colourising it: a comma list of deflicker, dust, scratches, denoise and regrain, "
     "or all (all but regrain); off by default, so the source's luma stays bit-exact"},
};
const size_t fr_stage_restore_opts_count = sizeof fr_stage_restore_opts / sizeof fr_stage_restore_opts[0];

const fr_stage *fr_stage_find(const char *name)
{
    for (size_t i = 0; i < fr_stage_count; i++)
        if (!strcmp(fr_stages[i]->name, name))
            return fr_stages[i];
    return NULL;
}

size_t fr_stage_groups(fr_opt_group *g, size_t base)
{
    size_t n = 0;
    g[n++] = (fr_opt_group){fr_stage_restore_opts, fr_stage_restore_opts_count, base, "restoration (the film's luma, before colourising)"};
    for (size_t i = 0; i < fr_stage_count; i++)
        if (fr_stages[i]->n_opts)
            g[n++] = (fr_opt_group){fr_stages[i]->opts, fr_stages[i]->n_opts, base, fr_stages[i]->title};
    return n;
}

void fr_stage_settings_defaults(fr_stage_settings *s)
{
    fr_opt_group g[FR_STAGE_GROUPS];
    memset(s, 0, sizeof *s);
    fr_opts_defaults(g, fr_stage_groups(g, 0), s);
}

/* Restoration rows are the ones that work on the luma; regrain runs only when listed. */
static int is_restoration(const fr_stage *st) { return (st->flags & FR_STAGE_NEEDS_LUMA) != 0; }

/* --restore's words one by one: the word at *p (its length in *k), *p moved past it and
 * its comma; 0 at the list's end. */
static int next_word(const char **p, size_t *k)
{
    if (!*p || !**p)
        return 0;
    const char *end = strchr(*p, ',');
    *k = end ? (size_t)(end - *p) : strlen(*p);
    return 1;
}

int fr_stage_restore_listed(const fr_stage_settings *s, const char *name)
{
    size_t len = strlen(name), k;
    for (const char *p = s->restore; next_word(&p, &k); p += k + (p[k] == ','))
        if ((k == len && !strncmp(p, name, len)) || (k == 3 && !strncmp(p, "all", 3) && strcmp(name, "regrain")))
            return 1;
    return 0;
}

fr_status fr_stage_settings_check(const fr_stage_settings *s, fr_err *err)
{
    size_t k;
    for (const char *p = s->restore; next_word(&p, &k); p += k + (p[k] == ',')) {
        char word[32];
        snprintf(word, sizeof word, "%.*s", (int)(k < sizeof word ? k : sizeof word - 1), p);
        const fr_stage *st = k < sizeof word ? fr_stage_find(word) : NULL;
        if (strcmp(word, "all") && (!st || !is_restoration(st)))
            return fr_err_set(err, FR_ERR_ARG, "--restore: '%.*s' is not deflicker, dust, scratches, denoise, "
                              "regrain or all", (int)k, p);
    }
    for (size_t i = 0; i < fr_stage_count; i++) {
        fr_status st = fr_stages[i]->check ? fr_stages[i]->check(s, err) : FR_OK;
        if (st != FR_OK)
            return st;
    }
    return FR_OK;
}

int fr_stage_context(const fr_stage_settings *s, int chroma_too)
{
    int total = 0;
    for (size_t i = 0; i < fr_stage_count; i++) {
        const fr_stage *st = fr_stages[i];
        if (!st->context || !st->enabled(s) || (!chroma_too && !is_restoration(st)))
            continue;
        int c = st->context(s);
        if (c > 0) /* a whole-shot row makes its own whole-shot jobs */
            total += c;
    }
    return total;
}

void fr_stage_label(const fr_stage_settings *s, char *buf, size_t len)
{
    size_t k = 0;
    buf[0] = 0;
    for (size_t i = 0; i < fr_stage_count && k < len; i++) {
        const fr_stage *st = fr_stages[i];
        if (!st->enabled(s) || (st->flags & FR_STAGE_REFERENCES) || st == fr_stages[fr_stage_count - 1])
            continue; /* guidance is per shot; the encode is reported as the mux's */
        int w = snprintf(buf + k, len - k, "%s%s", k ? "+" : "", st->name);
        if (w < 0)
            break;
        k += (size_t)w;
    }
}

void fr_stage_canonical(const fr_stage_settings *s, char *buf, size_t len)
{
    size_t k = 0;
    buf[0] = 0;
    for (size_t i = 0; i < fr_stage_count && k < len; i++) {
        const fr_stage *st = fr_stages[i];
        if (!st->canonical || !st->enabled(s))
            continue;
        char text[256];
        st->canonical(st, s, text, sizeof text);
        int w = snprintf(buf + k, len - k, "%s%s(%s)", k ? " " : "", st->name, text);
        if (w < 0)
            break;
        k += (size_t)w;
    }
}

void fr_stage_canonical_opts(const fr_stage *self, const fr_stage_settings *s, char *buf, size_t len)
{
    size_t k = 0;
    buf[0] = 0;
    for (size_t i = 0; i < self->n_opts && k < len; i++) {
        char v[128];
        fr_opts_format(&self->opts[i], (const char *)s + self->opts[i].offset, v, sizeof v);
        int w = snprintf(buf + k, len - k, "%s%s=%s", k ? "," : "", self->opts[i].name, v);
        if (w < 0)
            break;
        k += (size_t)w;
    }
    if (self->version > 1 && k < len)
        snprintf(buf + k, len - k, "%sversion=%d", k ? "," : "", self->version);
}

fr_status fr_stage_settings_from_canonical(fr_stage_settings *s, const char *text, char *keep, size_t len,
                                           fr_err *err)
{
    fr_opt_group g[FR_STAGE_GROUPS];
    size_t ng = fr_stage_groups(g, 0), k = 0;
    fr_stage_settings_defaults(s);
    char list[256] = "";
    /* keep: the restore list first, then the values the options point at */
    size_t half = len / 2;
    char *vals = keep + half;
    for (const char *p = text; *p;) {
        while (*p == ' ')
            p++;
        const char *open = strchr(p, '('), *close = open ? strchr(open, ')') : NULL;
        if (!*p)
            break;
        if (!open || !close)
            return fr_err_set(err, FR_ERR_STORE, "stage settings '%s' are malformed", text);
        char name[32];
        snprintf(name, sizeof name, "%.*s", (int)(open - p < 31 ? open - p : 31), p);
        const fr_stage *st = fr_stage_find(name);
        if (st && is_restoration(st)) {
            if (st->canonical != fr_stage_canonical_opts)
                return fr_err_set(err, FR_ERR_INTERNAL, "stage %s's settings cannot be read back", name);
            size_t l = strlen(list);
            snprintf(list + l, sizeof list - l, "%s%s", l ? "," : "", name);
            int version = 1;
            for (const char *q = open + 1; q < close;) {
                const char *end = memchr(q, ',', (size_t)(close - q));
                end = end ? end : close;
                const char *eq = memchr(q, '=', (size_t)(end - q));
                size_t need = (size_t)(end - q) + 1;
                if (!eq || k + need > len - half)
                    return fr_err_set(err, FR_ERR_STORE, "stage settings '%s' are malformed", text);
                char *opt = vals + k, *val = opt + (eq - q) + 1;
                memcpy(opt, q, (size_t)(end - q));
                opt[end - q] = 0;
                opt[eq - q] = 0;
                k += need;
                q = end + (end < close);
                if (!strcmp(opt, "version")) {
                    char *stop;
                    long v = strtol(val, &stop, 10);
                    if (stop == val || *stop || v < 1 || v > 1000000)
                        return fr_err_set(err, FR_ERR_STORE, "stage settings '%s' are malformed", text);
                    version = (int)v;
                    continue;
                }
                fr_status rc = fr_opts_set(g, ng, s, opt, val, err);
                if (rc != FR_OK)
                    return rc;
            }
            if (version != (st->version > 1 ? st->version : 1))
                return fr_err_set(err, FR_ERR_STORE,
                                  "the store's %s stage is version %d of its algorithm and this build's is %d; "
                                  "its frames were made by another filmrestore",
                                  name, version, st->version > 1 ? st->version : 1);
        }
        p = close + 1;
    }
    if (strlen(list) >= half)
        return fr_err_set(err, FR_ERR_STORE, "stage settings '%s' are too long", text);
    memcpy(keep, list, strlen(list) + 1);
    s->restore = *list ? keep : NULL;
    return FR_OK;
}

fr_status fr_stage_settings_pack(const fr_stage_settings *s, char *buf, size_t len, fr_err *err)
{
    fr_opt_group g[FR_STAGE_GROUPS];
    size_t ng = fr_stage_groups(g, 0), k = 0;
    buf[0] = 0;
    for (size_t i = 0; i < ng; i++)
        for (size_t j = 0; j < g[i].n; j++) {
            const fr_opt *o = &g[i].rows[j];
            char v[256];
            fr_opts_format(o, (const char *)s + o->offset, v, sizeof v);
            if (o->type == FR_OPT_STRING && !*(const char *const *)((const char *)s + o->offset))
                continue; /* unset */
            int w = snprintf(buf + k, len - k, "%s=%s\n", o->name, v);
            if (w < 0 || (size_t)w >= len - k || strchr(v, '\n'))
                return fr_err_set(err, FR_ERR_ARG, "--%s: the stages' settings do not fit the nodes' configuration", o->name);
            k += (size_t)w;
        }
    return FR_OK;
}

fr_status fr_stage_settings_unpack(fr_stage_settings *s, char *text, fr_err *err)
{
    fr_opt_group g[FR_STAGE_GROUPS];
    size_t ng = fr_stage_groups(g, 0);
    fr_stage_settings_defaults(s);
    for (char *line = text; *line;) {
        char *end = strchr(line, '\n'), *eq = strchr(line, '=');
        if (!end || !eq || eq > end)
            return fr_err_set(err, FR_ERR_MPI, "the stages' settings from the coordinator are malformed");
        *end = *eq = 0;
        fr_status st = fr_opts_set(g, ng, s, line, eq + 1, err);
        if (st != FR_OK)
            return st;
        line = end + 1;
    }
    return FR_OK;
}
