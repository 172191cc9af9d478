/* test_wire.c: received messages. The header parser (fr_wire_parse) names the field it
 * refuses; fr_wire_recv and fr_wire_poll, the real receive path over MPI (a singleton
 * rank sending to itself), refuse a malformed header the same way and go on with the
 * next message; and the READY payload parser (fr_wire_parse_ready) checks and bounds
 * every field before it is copied. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "fr_wire.h"
#include "fr_wire_parse.h"

static fr_status parse(const char *payload, size_t len, fr_ready *r, fr_err *e)
{
    static uint8_t buf[512];
    cr_assert(len <= sizeof buf);
    memcpy(buf, payload, len);
    fr_msg m;
    memset(&m, 0, sizeof m);
    m.h.type = FR_MSG_READY;
    m.source = 2;
    m.payload = buf;
    m.payload_len = len;
    return fr_wire_parse_ready(&m, r, e);
}

#define PARSE(lit, r, e) parse(lit, sizeof lit, r, e) /* with the NUL */

Test(wire, ready_fields)
{
    fr_ready r;
    fr_err e;
    cr_assert_eq(PARSE("tint\n\nexact\nnode-1.cluster", &r, &e), FR_OK, "%s", e.msg);
    cr_assert_str_eq(r.name, "tint");
    cr_assert_str_eq(r.hash, "");
    cr_assert_str_eq(r.numerics, "exact");
    cr_assert_str_eq(r.host, "node-1.cluster");
    char hashed[200];
    snprintf(hashed, sizeof hashed, "default\n%0*d\ncpu fp32 direct\nvm", 64, 7);
    cr_assert_eq(parse(hashed, strlen(hashed) + 1, &r, &e), FR_OK, "%s", e.msg);
    cr_assert_eq(strlen(r.hash), 64);
}

Test(wire, ready_refusals)
{
    fr_ready r;
    fr_err e;
    cr_assert_eq(PARSE("tint\n\nexact", &r, &e), FR_ERR_MPI);
    cr_assert(strstr(e.msg, "without the node's host"), "%s", e.msg);
    cr_assert_eq(PARSE("tint\n\nexact\n", &r, &e), FR_ERR_MPI);
    cr_assert(strstr(e.msg, "malformed host"), "%s", e.msg);
    cr_assert_eq(PARSE("tint\n\nexact\nbad host;rm", &r, &e), FR_ERR_MPI);
    cr_assert(strstr(e.msg, "malformed host"), "%s", e.msg);
    cr_assert_eq(PARSE("tint\nabc\nexact\nvm", &r, &e), FR_ERR_MPI);
    cr_assert(strstr(e.msg, "malformed weights hash"), "%s", e.msg);
    cr_assert_eq(PARSE("tint\n\nEXACT!\nvm", &r, &e), FR_ERR_MPI);
    cr_assert(strstr(e.msg, "malformed numerics"), "%s", e.msg);
    cr_assert_eq(parse("tint\n\nexact\nvm", 14, &r, &e), FR_ERR_MPI); /* not NUL-terminated */
    char longhost[400];
    memset(longhost, 'h', sizeof longhost);
    memcpy(longhost, "tint\n\nexact\n", 12);
    longhost[sizeof longhost - 1] = 0;
    cr_assert_eq(parse(longhost, sizeof longhost, &r, &e), FR_ERR_MPI);
    cr_assert(strstr(e.msg, "malformed host"), "%s", e.msg);
}

/* ---- headers --------------------------------------------------------------------------- */

/* A well-formed SEGMENT job of 4 frames of 16x16, segment 3. */
static fr_msg_header good_work(void)
{
    return (fr_msg_header){.type = FR_MSG_WORK, .job = FR_JOB_SEGMENT, .batch = 3, .start = 48, .count = 4,
                           .size = 16, .out_first = 0, .out_count = 4};
}

/* Parses h followed by `extra` payload bytes; err names the field refused. */
static fr_status parse_header(const fr_msg_header *h, size_t extra, fr_msg *m, fr_err *e)
{
    static uint8_t buf[sizeof(fr_msg_header) + 64];
    cr_assert(extra <= 64);
    memset(buf, 0, sizeof buf);
    memcpy(buf, h, sizeof *h);
    return fr_wire_parse(buf, sizeof *h + extra, 2, m, e);
}

/* Each header field that bounds a size or an index, out of range: refused, naming it. */
static void bad_type(fr_msg_header *h) { h->type = 9; }
static void bad_job(fr_msg_header *h) { h->job = 7; }
static void bad_batch(fr_msg_header *h) { h->batch = -1; }
static void bad_start(fr_msg_header *h) { h->start = -5; }
static void bad_size(fr_msg_header *h) { h->size = FR_WIRE_MAX_SIZE + 1; }
static void bad_count(fr_msg_header *h) { h->count = 0; }
static void big_count(fr_msg_header *h) { h->count = FR_WIRE_MAX_COUNT + 1; }
static void bad_first(fr_msg_header *h) { h->out_first = -1; }
static void bad_window(fr_msg_header *h) { h->out_first = 2; h->out_count = 3; }

static const struct {
    const char *field;
    void (*spoil)(fr_msg_header *h);
} cases[] = {
    {"field type = 9", bad_type},          {"field job = 7", bad_job},
    {"field batch = -1", bad_batch},       {"field start = -5", bad_start},
    {"field size = 4097", bad_size},       {"field count = 0", bad_count},
    {"field count = 65537", big_count},
    {"field out_first = -1", bad_first},   {"field out_count = 3", bad_window},
};

Test(wire, header_refusals_name_the_field)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fr_msg_header h = good_work();
        cases[i].spoil(&h);
        fr_msg m;
        fr_err e = {0};
        cr_assert_eq(parse_header(&h, 0, &m, &e), FR_ERR_MPI, "%s was accepted", cases[i].field);
        cr_assert(strstr(e.msg, cases[i].field) && strstr(e.msg, "from rank 2"), "%s: %s", cases[i].field, e.msg);
    }
    fr_msg m;
    fr_err e = {0};
    cr_assert_eq(fr_wire_parse((const uint8_t *)"abc", 3, 4, &m, &e), FR_ERR_MPI);
    cr_assert(strstr(e.msg, "rank 4: 3 bytes, shorter than"), "%s", e.msg);
}

Test(wire, header_accepted)
{
    fr_msg_header h = good_work();
    fr_msg m;
    fr_err e = {0};
    cr_assert_eq(parse_header(&h, 10, &m, &e), FR_OK, "%s", e.msg);
    cr_assert_eq(m.source, 2);
    cr_assert_eq(m.payload_len, 10);
    cr_assert_eq(m.h.count, 4);
    /* a guided shot goes whole: up to the protocol's frame bound */
    h = (fr_msg_header){.type = FR_MSG_WORK, .job = FR_JOB_SEGMENT, .batch = 0, .start = 0, .count = FR_WIRE_MAX_COUNT,
                        .size = 64, .out_first = 0, .out_count = FR_WIRE_MAX_COUNT};
    cr_assert_eq(parse_header(&h, 0, &m, &e), FR_OK, "%s", e.msg);
    h = (fr_msg_header){.type = FR_MSG_STOP};
    cr_assert_eq(parse_header(&h, 0, &m, &e), FR_OK, "%s", e.msg);
}

/* ---- the real receive path ------------------------------------------------------------- */

/* One MPI rank (a singleton, no mpirun) sends itself a malformed WORK, then a good one:
 * fr_wire_recv refuses the first naming the field, and the next receive gets the second,
 * so a refused message is consumed rather than left to block the queue. fr_wire_poll,
 * which the coordinator's loop uses, goes through the same parser. */
Test(wire, recv_refuses_malformed_header, .timeout = 60)
{
    fr_wire *w = NULL;
    fr_err e = {0};
    cr_assert_eq(fr_wire_init(&w, NULL, NULL, &e), FR_OK, "%s", e.msg);
    cr_assert_eq(fr_wire_rank(w), 0);

    fr_msg_header bad = good_work();
    bad.out_first = 3; /* window [3, 3+4) past the 4 frames sent */
    fr_msg_header good = good_work();
    uint8_t gray[64] = {0}; /* the wire does not size payloads (the receivers do); kept under
                             * the self transport's eager limit, so a send to oneself returns */
    gray[5] = 42;
    cr_assert_eq(fr_wire_send(w, 0, &bad, gray, sizeof gray, NULL, 0, &e), FR_OK, "%s", e.msg);
    cr_assert_eq(fr_wire_send(w, 0, &good, gray, sizeof gray, NULL, 0, &e), FR_OK, "%s", e.msg);

    fr_msg m;
    cr_assert_eq(fr_wire_recv(w, 0, &m, &e), FR_ERR_MPI);
    cr_assert(strstr(e.msg, "message from rank 0: field out_count = 4"), "%s", e.msg);
    cr_assert_eq(fr_wire_recv(w, FR_WIRE_ANY, &m, &e), FR_OK, "%s", e.msg);
    cr_assert_eq(m.h.batch, 3);
    cr_assert_eq(m.payload_len, sizeof gray);
    cr_assert_eq(m.payload[5], 42);

    bad = good_work();
    bad.job = 99;
    cr_assert_eq(fr_wire_send(w, 0, &bad, NULL, 0, NULL, 0, &e), FR_OK, "%s", e.msg);
    fr_status st;
    while ((st = fr_wire_poll(w, FR_WIRE_ANY, &m, &e)) == FR_EOF)
        ;
    cr_assert_eq(st, FR_ERR_MPI);
    cr_assert(strstr(e.msg, "field job = 99"), "%s", e.msg);
    cr_assert_eq(fr_wire_poll(w, FR_WIRE_ANY, &m, &e), FR_EOF);
    cr_assert_eq(fr_wire_finalize(w, &e), FR_OK, "%s", e.msg);
}
