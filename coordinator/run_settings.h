/* run_settings.h: the settings of a colourisation run, declared once as a table.
 *
 * The same table drives `filmrestore run`'s getopt_long options, its --help
 * text, range checks, and (later) the keys of a JSON job spec, in the style of
 * libavfilter's AVOption tables: one row per setting with its name, type,
 * offset in fr_run_settings, default and range. */
#ifndef FR_RUN_SETTINGS_H
#define FR_RUN_SETTINGS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fr_remux.h"
#include "fr_status.h"

typedef struct {
    const char *input;
    const char *output;
    const char *model;     /* gray | tint | default | path to a model file */
    const char *store;     /* HDF5 store path; NULL = OUTPUT.h5 beside the output */
    const char *codec;     /* h264 | ffv1 | prores | png | tiff; NULL = from the extension */
    const char *backend;   /* cpu | cuda | NULL = automatic */
    const char *smoothing; /* on | off */
    long render_factor;    /* the model sees render_factor*16 pixels on a side */
    long batch;            /* frames per batch (a batch never spans a cut) */
    long ranks;            /* node ranks to start with mpirun (0 = single process) */
    long threads;          /* compute threads per node */
    long smooth_radius;    /* temporal smoothing window radius, in frames */
    double smooth_strength;/* 0..1 */
    long overwrite;        /* 1: a store left by another run is replaced, not refused */
    long tolerate_damage;  /* 1: frames lost to damage are logged and dropped, not refused */
    const char *max_pixels;/* the largest picture accepted, as given */
    int64_t max_pixel_count; /* max_pixels parsed, by fr_run_settings_parse */
    unsigned long given;   /* bit i: fr_run_opts[i] was on the command line */
} fr_run_settings;

typedef enum { FR_OPT_STRING, FR_OPT_LONG, FR_OPT_DOUBLE, FR_OPT_FLAG } fr_opt_type;

typedef struct {
    const char *name;      /* long option and job-spec key */
    int short_name;        /* 0 if none */
    fr_opt_type type;      /* FR_OPT_FLAG: a long set to 1 by an option without argument */
    size_t offset;         /* in fr_run_settings */
    const char *def;       /* default, as text; NULL = unset */
    double min, max;       /* for numbers */
    const char *help;
} fr_opt;

extern const fr_opt fr_run_opts[];
extern const size_t fr_run_opts_count;

/* Fills s with every default. */
void fr_run_settings_defaults(fr_run_settings *s);
/* Sets one setting from text, with type and range checks. */
fr_status fr_run_settings_set(fr_run_settings *s, const char *name, const char *value, fr_err *err);
/* 1 when option `name` was given on the command line (not defaulted). */
int fr_run_settings_given(const fr_run_settings *s, const char *name);
/* Prints the options table as help text. */
void fr_run_settings_help(FILE *f);
/* Parses argv (argv[0] is the command name): options from the table, then
 * INPUT; -o names the output. Returns FR_EOF after printing --help. Also refuses
 * settings that conflict: an output or store that is the input file (compared by
 * device and inode), options that --ranks 0 ignores, paths too long to carry. */
fr_status fr_run_settings_parse(fr_run_settings *s, int argc, char **argv, fr_err *err);

#endif
