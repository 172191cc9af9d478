/* fr_outfile.c: muxer output through fr_sys, committed by fsync and rename (fr_outfile.h).
 *
 * libavformat buffers writes and may seek back (Matroska cues, MP4's moov); both
 * callbacks go through the fr_sys table. The first failing call's errno is kept, so
 * the message says "No space left on device" rather than libavformat's generic text. */
#include "fr_outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavformat/avio.h>
#include <libavutil/mem.h>

#include "fr_sys.h"

#define OUT_BUFFER (256 * 1024)

struct fr_outfile {
    char *tmp, *final;
    int fd;
    int first_errno;     /* of the first failed write or seek; 0 if none */
    int committed;
    AVIOContext *pb;
};

static int out_write(void *opaque, uint8_t *buf, int n)
{
    fr_outfile *o = opaque;
    if (n < 0)
        return AVERROR(EINVAL);
    if (fr_sys_write_all(o->fd, buf, (size_t)n) != 0) {
        int e = errno ? errno : EIO;
        if (!o->first_errno)
            o->first_errno = e;
        return AVERROR(e);
    }
    return n;
}

static int64_t out_seek(void *opaque, int64_t at, int whence)
{
    fr_outfile *o = opaque;
    whence &= ~AVSEEK_FORCE;
    if (whence == AVSEEK_SIZE) {
        struct stat sb;
        return fstat(o->fd, &sb) == 0 ? (int64_t)sb.st_size : AVERROR(errno);
    }
    off_t r = fr_sys()->lseek(o->fd, (off_t)at, whence);
    if (r < 0) {
        int e = errno ? errno : EIO;
        if (!o->first_errno)
            o->first_errno = e;
        return AVERROR(e);
    }
    return r;
}

fr_status fr_outfile_open(fr_outfile **out, const char *tmp_path, const char *final_path, fr_err *err)
{
    *out = NULL;
    fr_outfile *o = calloc(1, sizeof *o);
    if (!o)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    o->fd = -1;
    o->tmp = strdup(tmp_path);
    o->final = strdup(final_path);
    uint8_t *buf = av_malloc(OUT_BUFFER);
    if (!o->tmp || !o->final || !buf) {
        av_free(buf);
        fr_outfile_free(o);
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    }
    o->fd = fr_sys()->open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (o->fd < 0) {
        int e = errno;
        av_free(buf);
        fr_outfile_free(o);
        return fr_err_set(err, FR_ERR_IO, "cannot write %s: %s", final_path, strerror(e));
    }
    o->pb = avio_alloc_context(buf, OUT_BUFFER, 1, o, NULL, out_write, out_seek);
    if (!o->pb) {
        av_free(buf);
        fr_outfile_free(o);
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    }
    *out = o;
    return FR_OK;
}

struct AVIOContext *fr_outfile_avio(fr_outfile *o) { return o->pb; }

fr_status fr_outfile_commit(fr_outfile *o, fr_err *err)
{
    avio_flush(o->pb);
    int e = o->first_errno ? o->first_errno : o->pb->error < 0 ? AVUNERROR(o->pb->error) : 0;
    if (e)
        return fr_err_set(err, FR_ERR_IO, "cannot write %s: %s", o->final, strerror(e));
    const fr_sys_table *sys = fr_sys();
    if (sys->fsync(o->fd) != 0)
        return fr_err_set(err, FR_ERR_IO, "cannot write %s: fsync: %s", o->final, strerror(errno));
    int fd = o->fd;
    o->fd = -1;
    if (sys->close(fd) != 0)
        return fr_err_set(err, FR_ERR_IO, "cannot write %s: close: %s", o->final, strerror(errno));
    if (sys->rename(o->tmp, o->final) != 0)
        return fr_err_set(err, FR_ERR_IO, "cannot rename %s to %s: %s", o->tmp, o->final, strerror(errno));
    o->committed = 1;
    return FR_OK;
}

void fr_outfile_free(fr_outfile *o)
{
    if (!o)
        return;
    if (o->pb) {
        av_freep(&o->pb->buffer);
        avio_context_free(&o->pb);
    }
    if (o->fd >= 0)
        close(o->fd);
    if (!o->committed && o->tmp)
        unlink(o->tmp);
    free(o->tmp);
    free(o->final);
    free(o);
}
