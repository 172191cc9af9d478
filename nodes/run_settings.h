/* run_settings.h: the settings of a colourisation run, declared once as tables.
 *
 * The same tables drive `filmrestore run`'s getopt_long options, its --help
 * text, range checks, and the keys of a JSON job spec (jobs/job_spec.c), in the
 * style of libavfilter's AVOption tables: one row per setting with its name,
 * type, offset, default and range (fr_opts.h). The run's own rows come first;
 * then every node stage's rows, from the stage table (stage.h), into `stages`;
 * last the shot detector's table (shots_settings.h), so `run` takes the same
 * detector options as `shots`. It lives in nodes/ because it reads the stage
 * table; the CLI, the job service and the coordinator include it. */
#ifndef FR_RUN_SETTINGS_H
#define FR_RUN_SETTINGS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fr_opts.h"
#include "fr_remux.h"
#include "fr_status.h"
#include "fr_shots_opts.h"
#include "stage.h"

typedef struct {
    const char *input;
    const char *output;
    const char *model;     /* gray | tint | default | path to a model file */
    const char *store;     /* HDF5 store path; NULL = OUTPUT.h5 beside the output */
    const char *codec;     /* h264 | ffv1 | prores | png | tiff; NULL = from the extension */
    const char *backend;   /* auto | cpu | cuda | NULL = auto */
    const char *precision; /* fp32 | fp16 | bf16 | NULL = the backend's default */
    const char *winograd;  /* on | off */
    long render_factor;    /* the model sees render_factor*16 pixels on a side */
    long batch;            /* frames the generator takes at once */
    long segment_frames;   /* most frames in a segment (a segment never spans a cut) */
    long ranks;            /* node ranks to start with mpirun (0 = single process) */
    long threads;          /* compute threads per node */
    long overwrite;        /* 1: a store left by another run is replaced, not refused */
    fr_stage_settings stages; /* every node stage's settings (stage.h) */
    fr_shots_opts shots;   /* the shot detector's settings (shots_settings.c) */
    long tolerate_damage;  /* 1: frames lost to damage are logged and dropped, not refused */
    const char *max_pixels;/* the largest picture accepted, as given */
    int64_t max_pixel_count; /* max_pixels parsed, by fr_run_settings_parse */
    const char *hostfile;  /* Open MPI hostfile for the launcher; NULL: none */
    const char *launcher;  /* auto | mpirun | srun */
} fr_run_settings;

extern const fr_opt fr_run_opts[];
extern const size_t fr_run_opts_count;

/* The run's option groups: fr_run_opts, the stages' groups, then the shot detector's
 * rows. Fills g (room for FR_RUN_GROUPS) and returns the count. */
#define FR_RUN_GROUPS (2 + FR_STAGE_GROUPS)
size_t fr_run_groups(fr_opt_group g[FR_RUN_GROUPS]);

/* Fills s with every default. */
void fr_run_settings_defaults(fr_run_settings *s);
/* 1 when option `name` holds another value than its default (it was given). */
int fr_run_settings_given(const fr_run_settings *s, const char *name);
/* Prints the options table as help text. */
void fr_run_settings_help(FILE *f);
/* Parses argv (argv[0] is the command name): options from the table, then
 * INPUT; -o names the output. Returns FR_EOF after printing --help. Also refuses
 * settings that conflict: an output or store that is the input file (compared by
 * device and inode), options that --ranks 0 ignores, paths too long to carry. */
fr_status fr_run_settings_parse(fr_run_settings *s, int argc, char **argv, fr_err *err);
/* The checks across settings, after every option is set (input and output
 * present, enumerations valid); shared by the CLI and the job spec. */
fr_status fr_run_settings_check(const fr_run_settings *s, fr_err *err);

#endif
