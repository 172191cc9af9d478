/* fr_host.h: the name of the host a rank runs on, for logs and the store's provenance. */
#ifndef FR_HOST_H
#define FR_HOST_H

#include <stddef.h>

/* SLURM's name for the node (SLURMD_NODENAME) when the rank runs under slurmd, since
 * several slurmd may share one kernel host name; else gethostname(). Characters other
 * than letters, digits, '.', '-' and '_' become '_'; never empty. */
void fr_host_name(char *buf, size_t len);

#endif
