/* run_confine.h: in a run started by filmrestored, every path of the settings (input or
 * each file of its image sequence, output, store, references, hostfile, model file) is
 * checked again against the service's roots, following no link (shared/fr_confine.h).
 * Outside a service run it does nothing. */
#ifndef FR_RUN_CONFINE_H
#define FR_RUN_CONFINE_H

#include "fr_status.h"
#include "run_settings.h"

fr_status fr_run_confine(const fr_run_settings *s, fr_err *err);

#endif
