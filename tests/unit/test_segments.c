/* test_segments.c: the pieces of the segment data plane that need no MPI: packet lists and
 * their part files (truncation and damage refused), a SEGMENT payload's parse (every length
 * checked), and shot-detector thumbnails sent as bytes (the decisions are the same). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fr_pktlist.h"
#include "fr_shots_feat.h"
#include "segment.h"
#include "shots.h"

static void three_packets(fr_pktlist *l)
{
    fr_err e = {0};
    uint8_t a[5] = {1, 2, 3, 4, 5}, b[1] = {9};
    cr_assert_eq(fr_pktlist_add(l, 10, 9, 1, 1, a, 5, &e), FR_OK, "%s", e.msg);
    cr_assert_eq(fr_pktlist_add(l, 11, 10, 1, 0, b, 1, &e), FR_OK, "%s", e.msg);
    cr_assert_eq(fr_pktlist_add(l, 12, 11, 1, 0, NULL, 0, &e), FR_OK, "%s", e.msg);
}

Test(segments, packet_list_round_trip_and_bounds)
{
    fr_pktlist l = {0};
    three_packets(&l);
    cr_assert_eq(l.count, 3);
    cr_assert_eq(fr_pktlist_check(l.data, l.len), 3);
    size_t pos = 0;
    fr_pkt p;
    cr_assert_eq(fr_pktlist_next(l.data, l.len, &pos, &p), 1);
    cr_assert(p.pts == 10 && p.dts == 9 && p.flags == 1 && p.size == 5 && p.data[4] == 5);
    /* every cut short of a whole record is malformed */
    for (size_t cut = 1; cut < l.len; cut++) {
        int64_t n = fr_pktlist_check(l.data, cut);
        cr_assert(n < 0 || (n >= 1 && n <= 2), "cut at %zu gave %lld", cut, (long long)n);
    }
    int32_t huge = 1 << 30; /* a size past the buffer */
    memcpy(l.data + 28, &huge, 4);
    cr_assert_eq(fr_pktlist_check(l.data, l.len), -1);
    fr_pktlist_release(&l);
}

Test(segments, part_files_whole_or_refused)
{
    char dir[] = "/tmp/fr-parts-XXXXXX";
    cr_assert(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/00000001.part", dir);
    fr_pktlist l = {0};
    three_packets(&l);
    fr_err e = {0};
    fr_part_slice s[2] = {{l.data, 20}, {l.data + 20, l.len - 20}};
    cr_assert_eq(fr_pktlist_save(s, 2, path, &e), FR_OK, "%s", e.msg);
    uint8_t *buf = NULL;
    size_t len = 0;
    cr_assert_eq(fr_pktlist_load(path, &buf, &len, &e), FR_OK, "%s", e.msg);
    cr_assert(len == l.len && !memcmp(buf, l.data, len));
    free(buf);
    /* one byte changed: the checksum refuses it */
    int fd = open(path, O_RDWR);
    cr_assert(fd >= 0);
    uint8_t x;
    cr_assert_eq(pread(fd, &x, 1, 30), 1);
    x ^= 0x10;
    cr_assert_eq(pwrite(fd, &x, 1, 30), 1);
    cr_assert_eq(fr_pktlist_load(path, &buf, &len, &e), FR_ERR_INPUT);
    cr_assert(strstr(e.msg, "corrupt part file"), "%s", e.msg);
    /* cut short: refused as truncated */
    cr_assert_eq(ftruncate(fd, 40), 0);
    close(fd);
    cr_assert_eq(fr_pktlist_load(path, &buf, &len, &e), FR_ERR_INPUT);
    cr_assert(strstr(e.msg, "truncated"), "%s", e.msg);
    unlink(path);
    rmdir(dir);
    fr_pktlist_release(&l);
}

/* A WORK{SEGMENT} message in a buffer: head, pts, then the packets. */
static size_t segment_message(uint8_t *buf, fr_msg *m, int count, int out_first, int out_count, int64_t pkt_len, int flip)
{
    fr_segment_head head = {.nref = 0, .flags = 0, .pkt_len = pkt_len};
    size_t n = 0;
    memcpy(buf, &head, sizeof head);
    n += sizeof head;
    for (int i = 0; i < count; i++) {
        int64_t t = flip && i == 1 ? 0 : 100 + i;
        memcpy(buf + n, &t, 8);
        n += 8;
    }
    memset(buf + n, 0, (size_t)pkt_len);
    n += (size_t)pkt_len;
    memset(m, 0, sizeof *m);
    m->h = (fr_msg_header){.type = FR_MSG_WORK, .job = FR_JOB_SEGMENT, .batch = 2, .start = 100, .count = count,
                           .size = 16, .out_first = out_first, .out_count = out_count};
    m->payload = buf;
    m->payload_len = n;
    return n;
}

Test(segments, segment_payload_is_checked)
{
    static uint8_t buf[4096];
    fr_msg m;
    fr_segment_job j;
    void *owned = NULL;
    fr_err e = {0};
    segment_message(buf, &m, 4, 1, 2, 64, 0);
    cr_assert_eq(fr_segment_parse(&m, &j, &owned, &e), FR_OK, "%s", e.msg);
    cr_assert(j.pts[3] == 103 && j.pkt_len == 64 && j.pkts == buf + sizeof(fr_segment_head) + 32 && !j.given);
    free(owned);
    segment_message(buf, &m, 4, 1, 2, 64, 0);
    m.payload_len -= 1; /* the packets' length no longer matches the head */
    cr_assert_eq(fr_segment_parse(&m, &j, &owned, &e), FR_ERR_MPI);
    segment_message(buf, &m, 4, 1, 2, 64, 1); /* timestamps out of order */
    cr_assert_eq(fr_segment_parse(&m, &j, &owned, &e), FR_ERR_MPI);
    cr_assert(strstr(e.msg, "out of order"), "%s", e.msg);
    segment_message(buf, &m, 4, 1, 2, 64, 0);
    fr_segment_head bad = {.nref = 5, .pkt_len = 64}; /* more references than frames */
    memcpy(buf, &bad, sizeof bad);
    cr_assert_eq(fr_segment_parse(&m, &j, &owned, &e), FR_ERR_MPI);
}

/* Thumbnails made here, sent as bytes and pushed with fr_shots_push_thumb, give the
 * boundaries that fr_shots_push gives on the planes themselves. */
Test(segments, thumbnails_as_bytes_decide_the_same)
{
    enum { W = 64, H = 48, N = 40 };
    fr_shots_opts o;
    fr_shots_defaults(&o);
    fr_shots *a = NULL, *b = NULL;
    fr_thumber *t = NULL;
    fr_thumb th, back;
    fr_err e = {0};
    int gw, gh;
    fr_thumb_grid_size(W, H, o.grid, &gw, &gh);
    cr_assert_eq(fr_shots_new(&a, &o, &e), FR_OK);
    cr_assert_eq(fr_shots_new(&b, &o, &e), FR_OK);
    cr_assert_eq(fr_thumber_new(&t, gw, gh, o.flat_sigma, &e), FR_OK);
    cr_assert_eq(fr_thumb_alloc(&th, gw, gh, &e), FR_OK);
    cr_assert_eq(fr_thumb_alloc(&back, gw, gh, &e), FR_OK);
    uint8_t *bytes = malloc(fr_thumb_bytes(gw, gh));
    fr_plane p;
    cr_assert_eq(fr_plane_alloc(&p, W, H, 8, &e), FR_OK);
    for (int f = 0; f < N; f++) {
        for (int y = 0; y < H; y++) /* a gradient, then at frame 20 a cut to a checkerboard */
            for (int x = 0; x < W; x++)
                p.data[y * p.linesize + x] = (uint8_t)(f < 20 ? (x * 3 + y + f) : ((x / 8 + y / 8) % 2) * 200 + 20);
        cr_assert_eq(fr_shots_push(a, &p, f, &e), FR_OK, "%s", e.msg);
        cr_assert_eq(fr_thumb_make(t, &p, &th, &e), FR_OK);
        fr_thumb_pack(&th, gw, gh, bytes);
        cr_assert_eq(fr_thumb_unpack(bytes, gw, gh, &back, &e), FR_OK, "%s", e.msg);
        cr_assert_eq(fr_shots_push_thumb(b, &back, gw, gh, f, &e), FR_OK, "%s", e.msg);
    }
    cr_assert_eq(fr_shots_finish(a, &e), FR_OK);
    cr_assert_eq(fr_shots_finish(b, &e), FR_OK);
    fr_shot_boundary x, y;
    int n = 0;
    while (fr_shots_pop(a, &x)) {
        cr_assert_eq(fr_shots_pop(b, &y), 1);
        cr_assert(x.frame == y.frame && x.kind == y.kind, "boundary %d: %lld against %lld", n, (long long)x.frame,
                  (long long)y.frame);
        n++;
    }
    cr_assert_eq(fr_shots_pop(b, &y), 0);
    cr_assert_eq(n, 1, "%d boundaries, expected the cut", n);
    float nan = 0.0f / 0.0f; /* bytes that fr_thumb_make never gives are refused */
    memcpy(bytes, &nan, sizeof nan);
    cr_assert_eq(fr_thumb_unpack(bytes, gw, gh, &back, &e), FR_ERR_MPI);
    free(bytes);
    fr_plane_release(&p);
    fr_thumb_release(&th);
    fr_thumb_release(&back);
    fr_thumber_free(t);
    fr_shots_free(a);
    fr_shots_free(b);
}
