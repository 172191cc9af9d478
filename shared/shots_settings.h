/* shots_settings.h: the shot detector's settings as an option table (fr_opts.h),
 * shared by `filmrestore shots`, `filmrestore run` and the job spec. Offsets are
 * into fr_shots_opts (fr_shots_opts.h); defaults come from fr_shots_defaults. */
#ifndef FR_SHOTS_SETTINGS_H
#define FR_SHOTS_SETTINGS_H

#include "fr_opts.h"
#include "fr_shots_opts.h"

extern const fr_opt fr_shots_opt_rows[];
extern const size_t fr_shots_opt_rows_count;

/* The groups of a command that takes the detector's settings: its own rows (no title), then
 * the detector's, placed at shots_offset in its settings struct under `title`. Returns 2. */
size_t fr_shots_command_groups(fr_opt_group g[2], const fr_opt *rows, size_t n, size_t shots_offset,
                               const char *title);

#endif
