/* cmd_verify.c: `filmrestore verify OUTPUT`: re-decode an output and check it against
 * its sidecar, OUTPUT.framemd5 (written by every run; see fr_framemd5.h).
 *
 * Each frame's checksum, timestamp and size must match the sidecar's line, and the
 * frame count too; the first difference is named. Exit 0 when all match, 1 otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fr_framemd5.h"

/* The frame lines (not starting with '#'), one after the other. */
static const char *next_frame(const char *p)
{
    while (p && *p == '#') {
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    return p && *p ? p : NULL;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap + 1);
    for (size_t k; b && (k = fread(b + n, 1, cap - n, f)) > 0;) {
        n += k;
        if (n == cap) {
            char *g = realloc(b, 2 * cap + 1);
            if (!g) {
                free(b);
                b = NULL;
                break;
            }
            b = g;
            cap *= 2;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (!b || bad) {
        free(b);
        return NULL;
    }
    b[n] = 0;
    *len = n;
    return b;
}

int fr_cmd_verify(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        printf("usage: filmrestore verify OUTPUT\n\n"
               "Re-decodes OUTPUT and checks every frame against OUTPUT.framemd5, the sidecar\n"
               "that `run` writes (ffmpeg's framemd5 format). Exit 0 when every frame matches.\n");
        return 0;
    }
    if (argc != 2) {
        fr_cli_error("verify: give one OUTPUT file");
        return 2;
    }
    const char *media = argv[1];
    char sidecar[4200];
    snprintf(sidecar, sizeof sidecar, "%s.framemd5", media);
    size_t want_len = 0, have_len = 0;
    char *want = read_all(sidecar, &want_len);
    if (!want) {
        fr_cli_error("cannot read %s (no sidecar: was %s written by filmrestore run?)", sidecar, media);
        return 1;
    }
    char *have = NULL;
    fr_err err = {0};
    if (fr_framemd5_text(media, &have, &have_len, &err) != FR_OK) {
        free(want);
        fr_cli_error("%s", err.msg);
        return 1;
    }
    const char *a = next_frame(want), *b = next_frame(have);
    long frame = 0;
    int rc = 0;
    while (a || b) {
        const char *ea = a ? strchr(a, '\n') : NULL, *eb = b ? strchr(b, '\n') : NULL;
        size_t la = a ? (ea ? (size_t)(ea - a) : strlen(a)) : 0, lb = b ? (eb ? (size_t)(eb - b) : strlen(b)) : 0;
        if (!a || !b) {
            fr_cli_error("%s: %s has %s frames than its sidecar (frame %ld)", media, media, a ? "fewer" : "more", frame);
            rc = 1;
            break;
        }
        if (la != lb || memcmp(a, b, la)) {
            fr_cli_error("%s: frame %ld differs from the sidecar: '%.*s', expected '%.*s'", media, frame, (int)lb, b,
                         (int)la, a);
            rc = 1;
            break;
        }
        frame++;
        a = ea ? next_frame(ea + 1) : NULL;
        b = eb ? next_frame(eb + 1) : NULL;
    }
    if (!rc)
        printf("%s: %ld frames match %s\n", media, frame, sidecar);
    free(want);
    free(have);
    return rc;
}
