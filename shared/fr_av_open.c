/* fr_av_open.c: libavformat kept to local files, each one checked (fr_av_open.h). */
#include "fr_av_open.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libavformat/avformat.h>

#include "fr_confine.h"

/* libavformat's own opener, taken from a fresh context once. */
static int (*default_open)(AVFormatContext *, AVIOContext **, const char *, int, AVDictionary **);

/* The last refusal, for the error message (one reader per thread at a time). */
static _Thread_local char refused[512];

/* "proto:..." before any '/': a URL of another protocol (the whitelist refuses it too). */
static int has_scheme(const char *url)
{
    size_t n = strspn(url, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");
    return n > 0 && url[n] == ':';
}

static int checked_open(AVFormatContext *s, AVIOContext **pb, const char *url, int flags, AVDictionary **options)
{
    const char *path = url;
    if (!strncmp(path, "file:", 5))
        path += 5;
    else if (has_scheme(path)) {
        snprintf(refused, sizeof refused, "%.200s: only local files are read (file protocol)", url);
        return AVERROR(EPERM);
    }
    if (flags & AVIO_FLAG_WRITE) {
        snprintf(refused, sizeof refused, "%.200s: a reader does not write", url);
        return AVERROR(EPERM);
    }
    fr_err e = {0};
    if (fr_confine_check("input", path, FR_CONFINE_FILE, &e) != FR_OK) {
        snprintf(refused, sizeof refused, "%s", e.msg);
        return AVERROR(EPERM);
    }
    return default_open(s, pb, url, flags, options);
}

fr_status fr_av_open(AVFormatContext **fc, const char *path, const AVInputFormat *fmt, const AVDictionary *extra,
                     const char *what, fr_err *err)
{
    *fc = avformat_alloc_context();
    if (!*fc)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    if (!default_open)
        default_open = (*fc)->io_open;
    (*fc)->io_open = checked_open;
    AVDictionary *opts = NULL;
    if (extra)
        av_dict_copy(&opts, extra, 0);
    av_dict_set(&opts, "protocol_whitelist", "file", 0);
    refused[0] = 0;
    int ret = avformat_open_input(fc, path, fmt, &opts); /* frees *fc on failure */
    av_dict_free(&opts);
    if (ret < 0) {
        if (refused[0])
            return fr_err_set(err, FR_ERR_INPUT, "%s: %s", what, refused);
        return fr_err_av(err, FR_ERR_INPUT, ret, what);
    }
    return FR_OK;
}
