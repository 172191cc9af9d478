/* node.c: a node rank's loop (fr_node.h).
 *
 * A node holds one generator and one smoother for the whole run, so weights
 * are loaded once and buffers are reused. COLORIZE work is a batch of gray
 * frames; the answer is their chroma. SMOOTH work is a window of one shot
 * (gray and raw chroma, with up to `radius` frames of context on each side);
 * the answer is the smoothed chroma of the frames the coordinator asked for.
 * GUIDE work is a whole shot with its reference frames (docs/protocol.md); the
 * answer is the shot's guided chroma. The guide is made at the first such job. */
#include "fr_node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fr_backend.h"
#include "fr_generator.h"
#include "fr_host.h"
#include "fr_log.h"
#include "guide.h"
#include "smooth.h"

typedef struct {
    fr_wire *wire;
    fr_generator *gen;
    fr_smooth *smooth;
    fr_guide *guide;
    int threads;
    uint8_t *out;
    size_t out_cap;
    char name[32];
} node;

static fr_status send_fail(node *n, fr_err *err)
{
    fr_msg_header h = {.type = FR_MSG_FAIL};
    fr_err ignored;
    fr_wire_send(n->wire, 0, &h, err->msg, strlen(err->msg) + 1, NULL, 0, &ignored);
    return err->code;
}

static uint8_t *out_buffer(node *n, size_t len)
{
    if (len > n->out_cap) {
        uint8_t *p = realloc(n->out, len);
        if (!p)
            return NULL;
        n->out = p;
        n->out_cap = len;
    }
    return n->out;
}

/* Payload: int32 nref, int32 at[nref] (frames in the shot), gray count*s*s, chroma count*s*s*2,
 * reference chroma nref*s*s*2. */
static fr_status serve_guide(node *n, const fr_msg *m, fr_err *err)
{
    const fr_msg_header *h = &m->h;
    size_t plane = (size_t)h->size * h->size;
    int32_t nref = 0;
    if (m->payload_len >= sizeof nref)
        memcpy(&nref, m->payload, sizeof nref);
    size_t head = sizeof(int32_t) * (1 + (size_t)(nref > 0 ? nref : 0));
    if (nref < 1 || nref > h->count || h->count < 1 || h->out_first != 0 || h->out_count != h->count ||
        m->payload_len != head + plane * 3 * (size_t)h->count + plane * 2 * (size_t)nref)
        return fr_err_set(err, FR_ERR_MPI, "guide job for shot %lld is malformed", (long long)h->batch);
    if (!n->guide) {
        fr_status st = fr_guide_new(&n->guide, h->size, n->threads, err);
        if (st != FR_OK)
            return st;
    }
    int32_t *at = malloc(sizeof *at * (size_t)nref);
    uint8_t *out = out_buffer(n, plane * 2 * h->count);
    if (!at || !out) {
        free(at);
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    }
    memcpy(at, m->payload + sizeof(int32_t), sizeof *at * (size_t)nref);
    const uint8_t *gray = m->payload + head, *chroma = gray + plane * h->count;
    const uint8_t *ref = chroma + plane * 2 * h->count;
    /* the guided chroma is smoothed as the model's was, then each reference frame is put back */
    uint8_t *guided = malloc(plane * 2 * (size_t)h->count);
    fr_status st = guided ? fr_guide_shot(n->guide, gray, chroma, h->count, at, ref, nref, guided, err)
                          : fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    if (st == FR_OK)
        st = fr_smooth_run(n->smooth, gray, guided, h->count, 0, h->count, out, err);
    for (int k = 0; st == FR_OK && k < nref; k++)
        memcpy(out + plane * 2 * (size_t)at[k], ref + plane * 2 * (size_t)k, plane * 2);
    free(guided);
    free(at);
    if (st != FR_OK)
        return st;
    fr_msg_header r = *h;
    r.type = FR_MSG_RESULT;
    return fr_wire_send(n->wire, 0, &r, out, plane * 2 * h->count, NULL, 0, err);
}

static fr_status serve(node *n, const fr_msg *m, fr_err *err)
{
    const fr_msg_header *h = &m->h;
    size_t plane = (size_t)h->size * h->size;
    fr_msg_header r = *h;
    r.type = FR_MSG_RESULT;
    if (h->job == FR_JOB_COLORIZE) {
        if (m->payload_len != plane * h->count)
            return fr_err_set(err, FR_ERR_MPI, "batch %lld: payload of %zu bytes, expected %zu",
                              (long long)h->batch, m->payload_len, plane * h->count);
        uint8_t *out = out_buffer(n, plane * 2 * h->count);
        if (!out)
            return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        fr_status st = fr_generator_colorize(n->gen, m->payload, h->count, h->size, out, err);
        if (st != FR_OK)
            return st;
        return fr_wire_send(n->wire, 0, &r, out, plane * 2 * h->count, NULL, 0, err);
    }
    if (h->job == FR_JOB_SMOOTH) {
        if (m->payload_len != plane * 3 * h->count || h->out_first < 0 ||
            h->out_first + h->out_count > h->count)
            return fr_err_set(err, FR_ERR_MPI, "smoothing window %lld is malformed", (long long)h->batch);
        uint8_t *out = out_buffer(n, plane * 2 * h->out_count);
        if (!out)
            return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        const uint8_t *gray = m->payload, *chroma = m->payload + plane * h->count;
        fr_status st = fr_smooth_run(n->smooth, gray, chroma, h->count, h->out_first, h->out_count, out, err);
        if (st != FR_OK)
            return st;
        return fr_wire_send(n->wire, 0, &r, out, plane * 2 * h->out_count, NULL, 0, err);
    }
    if (h->job == FR_JOB_GUIDE)
        return serve_guide(n, m, err);
    return fr_err_set(err, FR_ERR_MPI, "unknown job kind %d", h->job);
}

fr_status fr_node_main(fr_wire *w, fr_err *err)
{
    node n = {.wire = w};
    snprintf(n.name, sizeof n.name, "node %d", fr_wire_rank(w));
    fr_node_config cfg;
    fr_status st = fr_wire_bcast_config(w, &cfg, err);
    if (st != FR_OK)
        return st;
    if (!cfg.model[0]) /* the coordinator failed before the run began; it reports why */
        return FR_OK;
    /* the device is the node's local rank on its host (the backend wraps it modulo its
     * visible devices) */
    fr_generator_opts go = {.threads = cfg.threads, .backend = cfg.backend[0] ? cfg.backend : NULL,
                            .batch = cfg.batch, .size = cfg.size, .device = fr_backend_local_rank(),
                            .precision = cfg.precision[0] ? cfg.precision : NULL, .winograd = cfg.winograd};
    fr_smooth_opts so;
    fr_smooth_opts_default(&so);
    so.threads = cfg.threads;
    n.threads = cfg.threads;
    if ((st = fr_generator_open(&n.gen, cfg.model, &go, err)) != FR_OK ||
        (st = fr_smooth_opts_parse(&so, cfg.smoothing, err)) != FR_OK ||
        (st = fr_smooth_new(&n.smooth, cfg.size, &so, err)) != FR_OK) {
        send_fail(&n, err);
        goto done;
    }
    /* READY carries the model's name, weights hash and numerics, for the store's identity,
     * and the host, for its provenance. */
    char ident[640], host[256];
    fr_host_name(host, sizeof host);
    int len = snprintf(ident, sizeof ident, "%s\n%s\n%s\n%s", fr_generator_name(n.gen), fr_generator_hash(n.gen),
                       fr_generator_numerics(n.gen), host);
    fr_msg_header ready = {.type = FR_MSG_READY};
    if ((st = fr_wire_send(w, 0, &ready, ident, (size_t)len + 1, NULL, 0, err)) != FR_OK)
        goto done;
    fr_info(n.name, "on host %s", host); /* a run's log says where every node rank ran */
    fr_debug(n.name, "ready with model %s", fr_generator_name(n.gen));
    for (;;) {
        fr_msg m;
        if ((st = fr_wire_recv(w, 0, &m, err)) != FR_OK)
            goto done;
        if (m.h.type == FR_MSG_STOP)
            break;
        if (m.h.type != FR_MSG_WORK) {
            st = fr_err_set(err, FR_ERR_MPI, "unexpected message type %d", m.h.type);
            goto done;
        }
        if ((st = serve(&n, &m, err)) != FR_OK) {
            send_fail(&n, err);
            goto done;
        }
    }
    st = FR_OK;
done:
    fr_smooth_free(n.smooth);
    fr_guide_free(n.guide);
    fr_generator_free(n.gen);
    free(n.out);
    return st;
}
