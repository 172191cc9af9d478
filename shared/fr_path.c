/* fr_path.c: file identity by device and inode (fr_path.h). */
#include "fr_path.h"

#include <sys/stat.h>

int fr_path_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (!a || !b || stat(a, &sa) != 0 || stat(b, &sb) != 0)
        return 0;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}
