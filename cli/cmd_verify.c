/* cmd_verify.c: `filmrestore verify OUTPUT [--store STORE | --sidecar-only]`: re-decode an
 * output and check it against its sidecar, OUTPUT.framemd5 (written by every run; see
 * fr_framemd5.h), and against the source and the run's store (fr_verify_store.h: the
 * frames; fr_verify_streams.h: the container). The store is --store, or else the one a
 * run writes by default beside its output, OUTPUT.h5, when it is there. Without a store
 * (none beside it, or --sidecar-only) only the sidecar and the provenance tags' presence
 * can be checked, and verify says so.
 *
 * Each frame's checksum, timestamp and size must match the sidecar's line, and the
 * frame count too; the first difference is named. Exit 0 when all match, 1 otherwise. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "fr_framemd5.h"
#include "fr_opts.h"
#include "fr_store.h"
#include "fr_verify_store.h"
#include "fr_verify_streams.h"
#include "restore_film.h"

typedef struct {
    const char *store;
    long sidecar_only;
} verify_args;

static const fr_opt verify_rows[] = {
    {"store", 's', FR_OPT_STRING, offsetof(verify_args, store), NULL, 0, 0,
     "check each frame's luma against the source and its chroma against this store (the run's; default: OUTPUT.h5 "
     "when it is there)"},
    {"sidecar-only", 0, FR_OPT_FLAG, offsetof(verify_args, sidecar_only), NULL, 0, 1,
     "check the sidecar and the provenance tags' presence only, not the source and the store"},
};
static const fr_opt_group verify_group = {verify_rows, sizeof verify_rows / sizeof verify_rows[0], 0, NULL};

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

/* The sidecar check; 0 when every frame matches. */
static int check_sidecar(const char *media)
{
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

/* A run that restored its film: its luma, rebuilt by the nodes' own rows (restore_film.h). */
static fr_status restored_open(void **ctx, const fr_store *store, fr_err *err)
{
    fr_restore_film *f = NULL;
    fr_status st = fr_restore_film_open(&f, store, 0, err);
    *ctx = f;
    return st;
}

static void restored_close(void *ctx) { fr_restore_film_free(ctx); }

/* The store check, then the store's provenance and losses for the record. */
static int check_store(const char *media, const char *store_path)
{
    fr_verify_report rep;
    fr_err err = {0};
    const fr_verify_luma restored = {restored_open, fr_restore_film_luma, restored_close};
    if (fr_verify_store(media, store_path, &restored, &rep, &err) != FR_OK) {
        fr_cli_error("%s", err.msg);
        return 1;
    }
    if (rep.guided_shots)
        printf("%s: %lld shot(s) guided by reference frames, checked against their guided chroma\n", media,
               (long long)rep.guided_shots);
    if (rep.lossless)
        printf("%s: %lld frames: luma identical to the source%s, chroma identical to %s (%s)\n", media,
               (long long)rep.frames, rep.restored ? " as restored" : "", store_path, rep.smoothed ? "smoothed" : "raw");
    else
        printf("%s: %lld frames: luma within %.1f dB of the source%s, chroma within %.1f dB of %s (%s; lossy codec)\n",
               media, (long long)rep.frames, rep.min_luma_db, rep.restored ? " as restored" : "", rep.min_chroma_db, store_path,
               rep.smoothed ? "smoothed" : "raw");
    fr_store *s = NULL;
    if (fr_store_open_readonly(&s, store_path, &err) != FR_OK) {
        fr_cli_error("%s", err.msg);
        return 1;
    }
    const fr_store_identity *id = fr_store_identity_of(s);
    printf("provenance: source %s (hash %.16s...), model %s (%s), filmrestore %s\n", id->source_path, id->source_hash,
           id->model_name, id->model_hash[0] ? id->model_hash : "built-in", id->tool_version);
    int rc = 0;
    for (int64_t i = 0; i < rep.runs && !rc; i++) {
        fr_store_run run;
        if (fr_store_get_run(s, i, &run, &err) != FR_OK)
            rc = 1;
        else
            printf("run %lld: %s, %d ranks on %s; %s\n", (long long)i + 1, run.started, run.ranks, run.hosts, run.settings);
    }
    for (int64_t i = 0; i < rep.losses && !rc; i++) {
        fr_loss l;
        if (fr_store_get_loss(s, i, &l, &err) != FR_OK)
            rc = 1;
        else
            printf("damage: %lld frame(s) lost after frame %lld (%.3f s): %s\n", (long long)l.missing,
                   (long long)l.after_frame, l.at, l.reason);
    }
    if (rc)
        fr_cli_error("%s", err.msg);
    fr_store_free(s);
    return rc;
}

/* Without a store: the tags' presence, and one line saying what was not checked. */
static int check_tags_alone(const char *media, const char *missing_store)
{
    fr_err err = {0};
    int pictures = 0;
    if (fr_verify_tags_present(media, &pictures, &err) != FR_OK) {
        fr_cli_error("%s", err.msg);
        return 1;
    }
    if (!pictures)
        printf("%s: its provenance tags are all there\n", media);
    if (missing_store)
        printf("%s: no store given and none beside it (%s): the frames were checked against the sidecar only, not "
               "against the source and the store (--store STORE)\n",
               media, missing_store);
    return 0;
}

int fr_cmd_verify(int argc, char **argv)
{
    verify_args a = {0};
    char *pos[2];
    int npos = 0;
    int rc = fr_opts_command(&verify_group, 1, &a,
                             "usage: filmrestore verify OUTPUT [--store STORE | --sidecar-only]\n\n"
                             "Re-decodes OUTPUT and checks every frame against OUTPUT.framemd5, the sidecar\n"
                             "that `run` writes (ffmpeg's framemd5 format). With the run's store (--store, or\n"
                             "OUTPUT.h5 when it is there, where `run` writes it by default), also rebuilds each\n"
                             "frame from the source's luma and the store's chroma and compares: exactly for\n"
                             "FFV1, within 30 dB (FR_VERIFY_LOSSY_DB) for H.264 and ProRes, and checks the\n"
                             "container: each frame's timestamp, the copied streams' packets, the aspect\n"
                             "ratio, colour tags and field order, and the FILMRESTORE_* tags; then prints the\n"
                             "store's provenance. Without a store, checks that the provenance tags are there,\n"
                             "and says that the source and the store were not checked. Exit 0 when everything\n"
                             "matches.\n\n",
                             argc, argv, pos, 2, &npos);
    if (rc >= 0)
        return rc;
    if (npos != 1) {
        fr_cli_error("verify: give one OUTPUT file");
        return 2;
    }
    if (a.store && a.sidecar_only) {
        fr_cli_error("verify: --store and --sidecar-only exclude each other");
        return 2;
    }
    char beside[4200];
    snprintf(beside, sizeof beside, "%s.h5", pos[0]);
    const char *store = a.store;
    if (!store && !a.sidecar_only && access(beside, F_OK) == 0) {
        store = beside; /* the store a run writes by default */
        printf("%s: checking against the run's store beside it, %s\n", pos[0], beside);
    }
    rc = check_sidecar(pos[0]);
    if (!rc && store)
        rc = check_store(pos[0], store);
    else if (!rc)
        rc = check_tags_alone(pos[0], a.sidecar_only ? NULL : beside);
    return rc;
}
