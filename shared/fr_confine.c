/* fr_confine.c: paths of a service run checked against its roots without following links (fr_confine.h).
 *
 * The roots come resolved from the daemon. A path must start with one of them as a
 * string (the daemon resolved the job's paths at submit and at start, so a path that
 * needed a link to get there is already outside); then every component below the
 * root is opened with openat(O_PATH | O_NOFOLLOW) from the one before, and a symbolic
 * link anywhere, or a last component of the wrong type, is refused. */
#include "fr_confine.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fr_confine_active(void)
{
    const char *r = getenv(FR_CONFINE_ENV);
    return r && r[0];
}

/* The root (one line of the variable) that path lies under: its length, or 0. */
static size_t root_of(const char *path)
{
    const char *r = getenv(FR_CONFINE_ENV);
    while (r && *r) {
        size_t n = strcspn(r, "\n");
        if (n > 0 && r[0] == '/' && !strncmp(path, r, n) && (path[n] == '/' || path[n] == 0 || n == 1))
            return n;
        r += n + (r[n] == '\n');
    }
    return 0;
}

/* 1 when a file name matches an image-sequence pattern's prefix and suffix around its
 * one %d/%0Nd (what the image2 demuxer can open). */
static int sequence_match(const char *pattern, const char *name)
{
    const char *pc = strchr(pattern, '%');
    if (!pc)
        return !strcmp(pattern, name);
    const char *after = pc + 1;
    while (*after >= '0' && *after <= '9')
        after++;
    if (*after == 'd')
        after++;
    size_t pre = (size_t)(pc - pattern), suf = strlen(after), n = strlen(name);
    return n >= pre + suf && !strncmp(name, pattern, pre) && !strcmp(name + n - suf, after);
}

static fr_status check_sequence(const char *what, int dirfd, const char *dir, const char *pattern, fr_err *err)
{
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return fr_err_set(err, FR_ERR_ARG, "%s: %s: %s", what, dir, strerror(errno));
    }
    fr_status st = FR_OK;
    struct dirent *e;
    while (st == FR_OK && (e = readdir(d))) {
        struct stat sb;
        if (e->d_name[0] == '.' || !sequence_match(pattern, e->d_name))
            continue;
        if (fstatat(dirfd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
            st = fr_err_set(err, FR_ERR_ARG, "%s: %s/%s: %s", what, dir, e->d_name, strerror(errno));
        else if (!S_ISREG(sb.st_mode))
            st = fr_err_set(err, FR_ERR_ARG, "%s: %s/%s is not a regular file (a link or a device); refused in a service run",
                            what, dir, e->d_name);
    }
    closedir(d);
    return st;
}

fr_status fr_confine_check(const char *what, const char *path, fr_confine_kind kind, fr_err *err)
{
    if (!fr_confine_active())
        return FR_OK;
    char abs[PATH_MAX];
    if (path[0] == '/') {
        if (strlen(path) >= sizeof abs)
            return fr_err_set(err, FR_ERR_ARG, "%s: the path is too long", what);
        memcpy(abs, path, strlen(path) + 1);
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd) || snprintf(abs, sizeof abs, "%s/%s", cwd, path) >= (int)sizeof abs)
            return fr_err_set(err, FR_ERR_ARG, "%s: the path is too long", what);
    }
    size_t rl = root_of(abs);
    if (!rl)
        return fr_err_set(err, FR_ERR_ARG, "%s: %s is outside the service's allowed roots", what, abs);
    char root[PATH_MAX];
    snprintf(root, sizeof root, "%.*s", (int)rl, abs);
    int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return fr_err_set(err, FR_ERR_ARG, "%s: root %s: %s", what, root, strerror(errno));
    /* walk the components below the root */
    char rest[PATH_MAX];
    snprintf(rest, sizeof rest, "%s", abs + rl);
    char *save = NULL, *comp = strtok_r(rest, "/", &save);
    fr_status st = FR_OK;
    while (comp && st == FR_OK) {
        char *next = strtok_r(NULL, "/", &save);
        if (!strcmp(comp, "..") || !strcmp(comp, ".")) {
            st = fr_err_set(err, FR_ERR_ARG, "%s: %s holds '%s'; refused in a service run", what, abs, comp);
            break;
        }
        struct stat sb;
        int exists = fstatat(fd, comp, &sb, AT_SYMLINK_NOFOLLOW) == 0;
        if (exists && S_ISLNK(sb.st_mode)) {
            st = fr_err_set(err, FR_ERR_ARG, "%s: %s: '%s' is a symbolic link; a service run follows none", what, abs,
                            comp);
            break;
        }
        if (next) { /* a folder on the way */
            int nfd = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (nfd < 0)
                st = fr_err_set(err, FR_ERR_ARG, "%s: %s: folder '%s': %s", what, abs, comp, strerror(errno));
            close(fd);
            fd = nfd;
        } else if (kind == FR_CONFINE_SEQUENCE) {
            int rfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (rfd < 0)
                st = fr_err_set(err, FR_ERR_ARG, "%s: %s: %s", what, abs, strerror(errno));
            else {
                char dir[PATH_MAX];
                snprintf(dir, sizeof dir, "%.*s", (int)(strrchr(abs, '/') - abs), abs);
                st = check_sequence(what, rfd, dir, comp, err);
                close(rfd);
            }
        } else if (!exists && kind != FR_CONFINE_NEW) {
            st = fr_err_set(err, FR_ERR_ARG, "%s: %s: %s", what, abs, strerror(errno));
        } else if (exists && (kind == FR_CONFINE_FILE || kind == FR_CONFINE_NEW) && !S_ISREG(sb.st_mode)) {
            st = fr_err_set(err, FR_ERR_ARG, "%s: %s is not a regular file", what, abs);
        } else if (exists && kind == FR_CONFINE_DIR && !S_ISDIR(sb.st_mode)) {
            st = fr_err_set(err, FR_ERR_ARG, "%s: %s is not a folder", what, abs);
        } else if (exists && kind == FR_CONFINE_ANY && !S_ISDIR(sb.st_mode) && !S_ISREG(sb.st_mode)) {
            st = fr_err_set(err, FR_ERR_ARG, "%s: %s is neither a regular file nor a folder", what, abs);
        }
        comp = next;
    }
    if (fd >= 0)
        close(fd);
    return st;
}
