/* fr_wire_parse.c: checked decoding of coordinator-node messages (fr_wire_parse.h).
 *
 * The header is copied out of the buffer (never cast in place: the buffer need not be
 * aligned). Checks per type: WORK and RESULT carry a known job kind, a batch and first
 * frame that are not negative, a frame count and render size within the protocol's
 * bounds, and a SMOOTH window [out_first, out_first + out_count) inside the payload's
 * frames; computed in 64 bits, so no product can wrap. */
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
    if (h->job != FR_JOB_COLORIZE && h->job != FR_JOB_SMOOTH)
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

fr_status fr_wire_parse_ready(const fr_msg *m, char *name, size_t name_len, char *hash, size_t hash_len,
                              char *numerics, size_t numerics_len, fr_err *err)
{
    if (m->h.type != FR_MSG_READY || !m->payload_len || m->payload[m->payload_len - 1])
        return fr_err_set(err, FR_ERR_MPI, "node %d: malformed READY", m->source);
    const char *text = (const char *)m->payload;
    const char *nl = memchr(text, '\n', m->payload_len);
    if (!nl)
        return fr_err_set(err, FR_ERR_MPI, "node %d: READY without a model hash", m->source);
    const char *nl2 = strchr(nl + 1, '\n');
    if (!nl2)
        return fr_err_set(err, FR_ERR_MPI, "node %d: READY without the engine's numerics", m->source);
    size_t n = (size_t)(nl - text), k = (size_t)(nl2 - nl - 1), q = strlen(nl2 + 1);
    if (n >= name_len || k >= hash_len)
        return fr_err_set(err, FR_ERR_MPI, "node %d: READY names a model too long", m->source);
    if (k && (k != 64 || strspn(nl + 1, "0123456789abcdef") != 64))
        return fr_err_set(err, FR_ERR_MPI, "node %d: READY carries a malformed weights hash", m->source);
    if (!q || q >= numerics_len || strspn(nl2 + 1, "abcdefghijklmnopqrstuvwxyz0123456789 _-") != q)
        return fr_err_set(err, FR_ERR_MPI, "node %d: READY carries malformed numerics", m->source);
    memcpy(name, text, n);
    name[n] = 0;
    memcpy(hash, nl + 1, k);
    hash[k] = 0;
    memcpy(numerics, nl2 + 1, q + 1);
    return FR_OK;
}
