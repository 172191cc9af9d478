/* fr_path.c: file identity by device and inode, and image names (fr_path.h). */
#include "fr_path.h"

#include <string.h>
#include <strings.h>
#include <sys/stat.h>

int fr_path_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (!a || !b || stat(a, &sa) != 0 || stat(b, &sb) != 0)
        return 0;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int fr_path_is_image(const char *name)
{
    static const char *exts[] = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".dpx", ".webp", ".ppm", ".pgm"};
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof exts / sizeof exts[0]; i++)
        if (!strcasecmp(dot, exts[i]))
            return 1;
    return 0;
}
