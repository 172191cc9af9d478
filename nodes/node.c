/* node.c: a node rank's loop (fr_node.h).
 *
 * A node holds one generator and one segment runner (the stage table's enabled rows,
 * opened once) for the whole run, so weights are loaded once and buffers are reused. It gets the run's
 * configuration and the source's stream parameters by broadcast, then serves
 * FEATURES jobs (shot_features.h: the shot detector's features of a chunk) and
 * SEGMENT jobs (segment.h: a segment of the film end to end) until STOP. */
#include "fr_node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>

#include "fr_backend.h"
#include "fr_generator.h"
#include "fr_host.h"
#include "fr_log.h"
#include "fr_stream_params.h"
#include "segment.h"
#include "shot_features.h"

typedef struct {
    fr_wire *wire;
    fr_generator *gen;
    fr_segment_runner *seg;
    fr_features_runner *feat;
    char name[32];
} node;

static fr_status send_fail(node *n, fr_err *err)
{
    fr_msg_header h = {.type = FR_MSG_FAIL};
    fr_err ignored;
    fr_wire_send(n->wire, 0, &h, err->msg, strlen(err->msg) + 1, NULL, 0, &ignored);
    return err->code;
}

typedef struct {
    node *n;
    fr_msg_header h;
} reply;

static fr_status send_result(void *ctx, const void *a, size_t na, const void *b, size_t nb, fr_err *err)
{
    reply *r = ctx;
    return fr_wire_send(r->n->wire, 0, &r->h, a, na, b, nb, err);
}

static fr_status send_features(void *ctx, const void *a, size_t na, fr_err *err)
{
    return send_result(ctx, a, na, NULL, 0, err);
}

static fr_status agree_isa(node *n, fr_err *err)
{
    const char *isa = fr_backend_cpu_native_isa();
    fr_msg_header hello = {.type = FR_MSG_HELLO};
    uint8_t *cap = NULL;
    size_t len = 0;
    fr_status st = fr_wire_send(n->wire, 0, &hello, isa, strlen(isa) + 1, NULL, 0, err);
    if (st == FR_OK)
        st = fr_wire_bcast_blob(n->wire, &cap, &len, err);
    if (st == FR_OK && (!len || cap[len - 1]))
        st = fr_err_set(err, FR_ERR_MPI, "the coordinator's instruction set is malformed");
    else if (st == FR_OK && !strcmp((const char *)cap, FR_WIRE_ISA_STOP))
        st = FR_EOF; /* the coordinator refused the run; it reports why */
    else if (st == FR_OK && cap[0])
        st = fr_backend_cpu_cap_isa((const char *)cap, err);
    free(cap);
    return st;
}

static fr_status serve(node *n, const fr_msg *m, fr_err *err)
{
    if (m->h.job == FR_JOB_FEATURES) {
        reply r = {.n = n, .h = m->h};
        r.h.type = FR_MSG_RESULT;
        return fr_features_run(n->feat, m, send_features, &r, err);
    }
    if (m->h.job != FR_JOB_SEGMENT)
        return fr_err_set(err, FR_ERR_MPI, "unknown job kind %d", m->h.job);
    fr_segment_job job;
    void *owned = NULL;
    fr_status st = fr_segment_parse(m, &job, &owned, err);
    reply r = {.n = n, .h = m->h};
    r.h.type = FR_MSG_RESULT;
    if (st == FR_OK)
        st = fr_segment_run(n->seg, &job, send_result, &r, err);
    free(owned);
    return st;
}

fr_status fr_node_main(fr_wire *w, fr_err *err)
{
    node n = {.wire = w};
    snprintf(n.name, sizeof n.name, "node %d", fr_wire_rank(w));
    fr_node_config cfg;
    uint8_t *params = NULL;
    size_t params_len = 0;
    fr_status st = fr_wire_bcast_config(w, &cfg, err);
    if (st != FR_OK)
        return st;
    if (!cfg.model[0]) /* the coordinator failed before the run began; it reports why */
        return FR_OK;
    if ((st = fr_wire_bcast_blob(w, &params, &params_len, err)) != FR_OK)
        return st;
    /* the instruction set every node computes at: this CPU's, to the coordinator, which
     * answers with the level all of them (and the store) share */
    if ((st = agree_isa(&n, err)) != FR_OK) {
        if (st == FR_EOF)
            st = FR_OK;
        else
            send_fail(&n, err);
        goto done;
    }
    /* the device is the node's local rank on its host (the backend wraps it modulo its
     * visible devices) */
    fr_generator_opts go = {.threads = cfg.threads, .backend = cfg.backend[0] ? cfg.backend : NULL,
                            .batch = cfg.batch, .size = cfg.size, .device = fr_backend_local_rank(),
                            .precision = cfg.precision[0] ? cfg.precision : NULL, .winograd = cfg.winograd};
    fr_video_info film;
    AVCodecParameters *par = NULL; /* the film's matrix, for the model's RGB */
    if ((st = fr_stream_params_unpack(params, params_len, &film, &par, err)) == FR_OK)
        go.colorspace = film.colorspace;
    avcodec_parameters_free(&par);
    if (st != FR_OK ||
        (st = fr_generator_open(&n.gen, cfg.model, &go, err)) != FR_OK ||
        (st = fr_segment_runner_new(&n.seg, &cfg, params, params_len, n.gen, err)) != FR_OK ||
        (st = fr_features_runner_new(&n.feat, &cfg, params, params_len, err)) != FR_OK) {
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
        if (m.h.type == FR_MSG_STOP) {
            char times[512];
            fr_segment_runner_times(n.seg, times, sizeof times);
            fr_info(n.name, "stage times: %s", times);
            break;
        }
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
    fr_segment_runner_free(n.seg);
    fr_features_runner_free(n.feat);
    fr_generator_free(n.gen);
    free(params);
    return st;
}
