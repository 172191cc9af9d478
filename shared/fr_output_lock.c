/* fr_output_lock.c: the output's lock and its "did we write it" check (fr_output_lock.h). */
#include "fr_output_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <libavformat/avformat.h>

#include "fr_av_open.h"
#include "fr_lockfile.h"
#include "fr_log.h"

#define MARK_XATTR "user.filmrestore"

struct fr_output_lock {
    fr_lockfile *file;
    char path[PATH_MAX];
};

/* 1 when the file carries our mark (an extended attribute set once it was written: a PNG or
 * TIFF has no tags), filmrestore's provenance tag, or its sidecar beside it. */
static int written_by_us(const char *output)
{
    char sidecar[PATH_MAX + 16], mark[64];
    struct stat sb;
    if (lgetxattr(output, MARK_XATTR, mark, sizeof mark) > 0)
        return 1;
    if ((size_t)snprintf(sidecar, sizeof sidecar, "%s.framemd5", output) < sizeof sidecar &&
        lstat(sidecar, &sb) == 0 && S_ISREG(sb.st_mode))
        return 1;
    AVFormatContext *fc = NULL;
    fr_err e = {0};
    if (fr_av_open(&fc, output, NULL, NULL, output, &e) != FR_OK)
        return 0;
    int ours = av_dict_get(fc->metadata, "FILMRESTORE_VERSION", NULL, 0) != NULL;
    avformat_close_input(&fc);
    return ours;
}

fr_status fr_output_lock_take(fr_output_lock **out, const char *output, int owner_pid, int overwrite, fr_err *err)
{
    *out = NULL;
    char dir[PATH_MAX], base[PATH_MAX];
    if (strlen(output) >= sizeof dir)
        return fr_err_set(err, FR_ERR_ARG, "%.80s...: the output path is too long", output);
    snprintf(dir, sizeof dir, "%s", output);
    snprintf(base, sizeof base, "%s", output);
    const char *name = basename(base);
    char lockname[PATH_MAX + 32];
    if (snprintf(lockname, sizeof lockname, ".%s.filmrestore-lock", name) >= (int)sizeof lockname ||
        strlen(lockname) > NAME_MAX)
        return fr_err_set(err, FR_ERR_ARG, "%s: the output's name is too long", output);
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return fr_err_set(err, FR_ERR_IO, "cannot write %s: its folder: %s", output, strerror(errno));
    fr_output_lock *l = calloc(1, sizeof *l);
    if (!l) {
        close(dfd);
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    }
    snprintf(l->path, sizeof l->path, "%s", output);
    int busy = 0;
    char who[320];
    fr_status st = fr_lockfile_take(&l->file, dfd, lockname, output, owner_pid, &busy, who, sizeof who, err);
    if (st != FR_OK && busy)
        st = fr_err_set(err, FR_ERR_STORE, "output %s is in use by another run (%s); wait for it to end, or use another -o",
                        output, who);
    struct stat sb;
    if (st == FR_OK && fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISDIR(sb.st_mode))
            st = fr_err_set(err, FR_ERR_ARG, "%s is a directory; -o names the output file", output);
        else if (S_ISLNK(sb.st_mode))
            st = fr_err_set(err, FR_ERR_ARG, "%s is a symbolic link; it is not replaced, nor followed", output);
        else if (!S_ISREG(sb.st_mode))
            st = fr_err_set(err, FR_ERR_ARG, "%s exists and is not a regular file (a FIFO or a device); it is not replaced",
                            output);
        else if (!overwrite && !written_by_us(output))
            st = fr_err_set(err, FR_ERR_ARG, "%s exists and filmrestore did not write it (no FILMRESTORE_VERSION tag, no .framemd5 beside it); -y replaces it",
                            output);
    }
    close(dfd);
    if (st != FR_OK) {
        fr_output_lock_free(l);
        return st;
    }
    *out = l;
    return FR_OK;
}

void fr_output_lock_mark(fr_output_lock *l, const char *version)
{
    if (l && lsetxattr(l->path, MARK_XATTR, version, strlen(version), 0) != 0 && errno != ENOTSUP)
        fr_warn("output", "%s: cannot mark it as filmrestore's (%s); a later run onto it will need -y", l->path,
                strerror(errno));
}

void fr_output_lock_free(fr_output_lock *l)
{
    if (!l)
        return;
    fr_lockfile_free(l->file);
    free(l);
}
