/* fr_version.h: the one version string, in the CLI's --version, the store's identity and
 * /runs, the output's FILMRESTORE_VERSION tag and the job service's hello. */
#ifndef FR_VERSION_H
#define FR_VERSION_H

#define FR_VERSION "0.1.0"

#endif
