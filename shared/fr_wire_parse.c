/* fr_wire_parse.c: checked decoding of coordinator-node messages (fr_wire_parse.h).
 *
 * The header is copied out of the buffer (never cast in place: the buffer need not be
 * aligned). Checks per type: WORK and RESULT carry a known job kind, a batch and first
 * frame that are not negative, a frame count and render size within the protocol's
 * bounds, and the output frames [out_first, out_first + out_count) inside the frames
 * sent; computed in 64 bits, so no product can wrap. */
#include "fr_wire_parse.h"

#include <string.h>

fr_status fr_wire_parse(const uint8_t *buf, size_t len, int source, fr_msg *m, fr_err *err)
{
    memset(m, 0, sizeof *m);
    if (!buf || len < sizeof m->h)
        return fr_err_set(err, FR_ERR_MPI, "short message (%zu bytes) from rank %d", len, source);
    memcpy(&m->h, buf, sizeof m->h);
    m->source = source;
    m->payload = (uint8_t *)buf + sizeof m->h;
    m->payload_len = len - sizeof m->h;
    const fr_msg_header *h = &m->h;
    switch (h->type) {
    case FR_MSG_READY:
    case FR_MSG_FAIL:
    case FR_MSG_STOP:
        return FR_OK;
    case FR_MSG_WORK:
    case FR_MSG_RESULT:
        break;
    default:
        return fr_err_set(err, FR_ERR_MPI, "message of unknown type %d from rank %d", (int)h->type, source);
    }
    if (h->job != FR_JOB_SEGMENT)
        return fr_err_set(err, FR_ERR_MPI, "message from rank %d: unknown job kind %d", source, (int)h->job);
    if (h->batch < 0 || h->start < 0)
        return fr_err_set(err, FR_ERR_MPI, "message from rank %d: negative batch or frame", source);
    if (h->count < 1 || h->count > FR_WIRE_MAX_COUNT || h->size < 1 || h->size > FR_WIRE_MAX_SIZE)
        return fr_err_set(err, FR_ERR_MPI, "message from rank %d: %d frames of %d pixels is out of bounds", source,
                          (int)h->count, (int)h->size);
    if (h->out_first < 0 || h->out_count < 1 || (int64_t)h->out_first + h->out_count > h->count)
        return fr_err_set(err, FR_ERR_MPI, "message from rank %d: frames [%d, +%d) outside the %d sent", source,
                          (int)h->out_first, (int)h->out_count, (int)h->count);
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
