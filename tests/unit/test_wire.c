/* test_wire.c: the READY payload parser (fr_wire_parse_ready): every field is checked
 * and bounded before it is copied. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

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
