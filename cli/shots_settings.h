/* shots_settings.h: the shot detector's settings as an option table (fr_opts.h),
 * shared by `filmrestore shots`, `filmrestore run` and the job spec. Offsets are
 * into fr_shots_opts (coordinator/shots.h); defaults come from fr_shots_defaults. */
#ifndef FR_SHOTS_SETTINGS_H
#define FR_SHOTS_SETTINGS_H

#include "fr_opts.h"
#include "shots.h"

extern const fr_opt fr_shots_opt_rows[];
extern const size_t fr_shots_opt_rows_count;

#endif
