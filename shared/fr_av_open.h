/* fr_av_open.h: opening a media file for reading with libavformat, locally and checked.
 *
 * Every reader of sources, references and outputs opens through here. libavformat gets
 * the file protocol only (no http, tcp, data, concat: or subfile: URLs, whatever a
 * playlist says), and an io_open callback that sees every file a demuxer opens: the
 * source itself, each entry of an HLS playlist or a concat list, each picture of an
 * image sequence. In a service run (shared/fr_confine.h) each of them must be a regular
 * file under the service's roots reached without a symbolic link, so a playlist is
 * allowed exactly when every entry it names passes that check. */
#ifndef FR_AV_OPEN_H
#define FR_AV_OPEN_H

#include "fr_status.h"

struct AVDictionary;
struct AVFormatContext;
struct AVInputFormat;

/* avformat_open_input on path with those rules; *fc is NULL on failure. what names
 * the file in the error ("reference", "cannot open input"); fmt and extra (demuxer
 * options, copied) may be NULL. */
fr_status fr_av_open(struct AVFormatContext **fc, const char *path, const struct AVInputFormat *fmt,
                     const struct AVDictionary *extra, const char *what, fr_err *err);

#endif
