/* fr_host.c: the host name of this rank (fr_host.h). */
#include "fr_host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void fr_host_name(char *buf, size_t len)
{
    if (!len)
        return;
    const char *slurm = getenv("SLURMD_NODENAME");
    if (slurm && *slurm)
        snprintf(buf, len, "%s", slurm);
    else if (gethostname(buf, len) != 0)
        buf[0] = 0;
    buf[len - 1] = 0;
    for (char *p = buf; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_", *p))
            *p = '_';
    if (!buf[0])
        snprintf(buf, len, "unknown");
}
