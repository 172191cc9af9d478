/* fr_wire_parse.c: checked decoding of coordinator-node messages (fr_wire_parse.h).
 *
 * The header is copied out of the buffer (never cast in place: the buffer need not be
 * aligned). Checks per type: WORK and RESULT carry a known job kind, a batch and first
 * frame that are not negative, a render size and frame count within the protocol's
 * bounds, and the output frames [out_first, out_first + out_count) inside the frames
 * sent; computed in 64 bits, so no product can wrap. A refusal names the field.
 * fr_wire_recv and fr_wire_poll (fr_wire.c) pass every message through here; the
 * SEGMENT payloads are checked by nodes/segment.c. */
#include "fr_wire_parse.h"

#include <string.h>

#define FR_WIRE_STR_(x) #x
#define FR_WIRE_STR(x) FR_WIRE_STR_(x)

/* "message from rank 2: field count = 0: not in [1, 65536]" */
static fr_status bad(fr_err *err, int source, const char *field, int64_t v, const char *why)
{
    return fr_err_set(err, FR_ERR_MPI, "message from rank %d: field %s = %lld: %s", source, field, (long long)v, why);
}

fr_status fr_wire_parse(const uint8_t *buf, size_t len, int source, fr_msg *m, fr_err *err)
{
    memset(m, 0, sizeof *m);
    if (!buf || len < sizeof m->h)
        return fr_err_set(err, FR_ERR_MPI, "message from rank %d: %zu bytes, shorter than its %zu-byte header", source,
                          buf ? len : 0, sizeof m->h);
    memcpy(&m->h, buf, sizeof m->h);
    m->source = source;
    m->payload = (uint8_t *)buf + sizeof m->h;
    m->payload_len = len - sizeof m->h;
    const fr_msg_header *h = &m->h;
    switch (h->type) {
    case FR_MSG_READY:
    case FR_MSG_HELLO:
    case FR_MSG_FAIL:
    case FR_MSG_STOP:
        return FR_OK;
    case FR_MSG_WORK:
    case FR_MSG_RESULT:
        break;
    default:
        return bad(err, source, "type", h->type, "not a message type");
    }
    if (h->job != FR_JOB_SEGMENT && h->job != FR_JOB_FEATURES)
        return bad(err, source, "job", h->job, "not a job kind");
    if (h->batch < 0)
        return bad(err, source, "batch", h->batch, "negative");
    if (h->start < 0)
        return bad(err, source, "start", h->start, "negative");
    if (h->size < 1 || h->size > FR_WIRE_MAX_SIZE)
        return bad(err, source, "size", h->size, "not in [1, " FR_WIRE_STR(FR_WIRE_MAX_SIZE) "]");
    if (h->count < 1 || h->count > FR_WIRE_MAX_COUNT)
        return bad(err, source, "count", h->count, "not in [1, " FR_WIRE_STR(FR_WIRE_MAX_COUNT) "]");
    if (h->out_first < 0 || h->out_first >= h->count)
        return bad(err, source, "out_first", h->out_first, "not a frame of the message");
    if (h->out_count < 1 || (int64_t)h->out_first + h->out_count > h->count)
        return bad(err, source, "out_count", h->out_count, "frames past the message's count");
    return FR_OK;
}

/* Splits the next '\n'-ended (or, for the last, NUL-ended) field off *p. */
static size_t field(const char **p, const char *end, int last)
{
    const char *e = memchr(*p, last ? 0 : '\n', (size_t)(end - *p));
    if (!e)
        return (size_t)-1;
    size_t n = (size_t)(e - *p);
    *p = e + 1;
    return n;
}

fr_status fr_wire_parse_ready(const fr_msg *m, fr_ready *r, fr_err *err)
{
    memset(r, 0, sizeof *r);
    if (m->h.type != FR_MSG_READY || !m->payload_len || m->payload[m->payload_len - 1])
        return fr_err_set(err, FR_ERR_MPI, "node %d: malformed READY", m->source);
    const char *p = (const char *)m->payload, *end = p + m->payload_len;
    const char *name = p, *hash, *num, *host;
    size_t n = field(&p, end, 0), k, q, h;
    if (n == (size_t)-1)
        return fr_err_set(err, FR_ERR_MPI, "node %d: READY without a model hash", m->source);
    hash = p;
    if ((k = field(&p, end, 0)) == (size_t)-1)
        return fr_err_set(err, FR_ERR_MPI, "node %d: READY without the engine's numerics", m->source);
    num = p;
    if ((q = field(&p, end, 0)) == (size_t)-1)
        return fr_err_set(err, FR_ERR_MPI, "node %d: READY without the node's host", m->source);
    host = p;
    h = field(&p, end, 1);
    if (n >= sizeof r->name || k >= sizeof r->hash)
        return fr_err_set(err, FR_ERR_MPI, "node %d: READY names a model too long", m->source);
    if (k && (k != 64 || strspn(hash, "0123456789abcdef") < 64))
        return fr_err_set(err, FR_ERR_MPI, "node %d: READY carries a malformed weights hash", m->source);
    if (!q || q >= sizeof r->numerics || strspn(num, "abcdefghijklmnopqrstuvwxyz0123456789 _-") < q)
        return fr_err_set(err, FR_ERR_MPI, "node %d: READY carries malformed numerics", m->source);
    if (!h || h >= sizeof r->host || strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") < h)
        return fr_err_set(err, FR_ERR_MPI, "node %d: READY carries a malformed host name", m->source);
    memcpy(r->name, name, n);
    memcpy(r->hash, hash, k);
    memcpy(r->numerics, num, q);
    memcpy(r->host, host, h);
    return FR_OK;
}

fr_status fr_wire_parse_hello(const fr_msg *m, char *isa, size_t len, fr_err *err)
{
    size_t n = m->payload_len;
    if (m->h.type != FR_MSG_HELLO || n < 2 || n > len || m->payload[n - 1] ||
        strspn((const char *)m->payload, "abcdefghijklmnopqrstuvwxyz0123456789_") != n - 1)
        return fr_err_set(err, FR_ERR_MPI, "node %d: malformed HELLO", m->source);
    memcpy(isa, m->payload, n);
    return FR_OK;
}
