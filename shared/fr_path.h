/* fr_path.h: comparing files by identity, not by spelling; and what a file name says it holds.
 *
 * Two names denote the same file when, after following symbolic links, they have the
 * same device and inode: "a.mkv", "./a.mkv", a link to it and a hard link all do. */
#ifndef FR_PATH_H
#define FR_PATH_H

/* 1 when both names exist and are the same file, else 0. */
int fr_path_same_file(const char *a, const char *b);

/* 1 when the name ends in a still-image extension (.png, .jpg, .tif, .dpx ...), any case. */
int fr_path_is_image(const char *name);

#endif
