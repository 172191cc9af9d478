/* fr_wire.c: MPI transport for the coordinator-node protocol (fr_wire.h), and its in-process
 * twin for --ranks 0 (two ranks as two threads, the messages in queues). Every message a
 * rank receives is checked by fr_wire_parse before a caller sees it. */
#include "fr_wire.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mpi.h>

#include "fr_wire_parse.h"

#define FR_WIRE_TAG 7

/* In-process: one queue of messages for each of the two ranks, and rank 0's broadcasts for
 * rank 1 in order. */
typedef struct queued {
    uint8_t *buf;
    size_t len;
    struct queued *next;
} queued;

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    queued *head[2], *tail[2]; /* messages to rank 0, rank 1 */
    queued *bhead, *btail;     /* broadcasts, for rank 1 */
    int refs;
} local_pair;

struct fr_wire {
    int rank, size;
    uint8_t *buf;   /* receive buffer, grown as needed */
    size_t cap;
    uint8_t *sbuf;  /* send buffer */
    size_t scap;
    local_pair *pair; /* in-process (fr_wire_init_pair), else NULL: MPI */
};

static void push(local_pair *p, queued **head, queued **tail, queued *q)
{
    pthread_mutex_lock(&p->mu);
    if (*tail)
        (*tail)->next = q;
    else
        *head = q;
    *tail = q;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

/* The next queued item (waiting for one when wait), or NULL. */
static queued *pop(local_pair *p, queued **head, queued **tail, int wait)
{
    pthread_mutex_lock(&p->mu);
    while (wait && !*head)
        pthread_cond_wait(&p->cv, &p->mu);
    queued *q = *head;
    if (q) {
        *head = q->next;
        if (!*head)
            *tail = NULL;
    }
    pthread_mutex_unlock(&p->mu);
    return q;
}

static queued *copy_of(const void *a, size_t na, const void *b, size_t nb, const void *c, size_t nc)
{
    queued *q = calloc(1, sizeof *q);
    if (q && !(q->buf = malloc(na + nb + nc + 1))) {
        free(q);
        return NULL;
    }
    if (q) {
        if (na)
            memcpy(q->buf, a, na);
        if (nb)
            memcpy(q->buf + na, b, nb);
        if (nc)
            memcpy(q->buf + na + nb, c, nc);
        q->len = na + nb + nc;
    }
    return q;
}

fr_status fr_wire_init_pair(fr_wire **coordinator, fr_wire **node, fr_err *err)
{
    *coordinator = *node = NULL;
    local_pair *p = calloc(1, sizeof *p);
    fr_wire *w0 = calloc(1, sizeof *w0), *w1 = calloc(1, sizeof *w1);
    if (!p || !w0 || !w1) {
        free(p);
        free(w0);
        free(w1);
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->refs = 2;
    *w0 = (fr_wire){.rank = 0, .size = 2, .pair = p};
    *w1 = (fr_wire){.rank = 1, .size = 2, .pair = p};
    *coordinator = w0;
    *node = w1;
    return FR_OK;
}

static fr_status mpi_fail(fr_err *err, int rc, const char *call)
{
    char text[MPI_MAX_ERROR_STRING] = "";
    int len = 0;
    MPI_Error_string(rc, text, &len);
    return fr_err_set(err, FR_ERR_MPI, "%s: %s", call, text);
}

int fr_wire_launched(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK");
}

fr_status fr_wire_init(fr_wire **out, int *argc, char ***argv, fr_err *err)
{
    *out = NULL;
    int provided = 0;
    int rc = MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
    if (rc != MPI_SUCCESS)
        return fr_err_set(err, FR_ERR_MPI, "MPI_Init_thread failed");
    /* the coordinator's watchdog and progress threads never call MPI: FUNNELED is enough */
    if (provided < MPI_THREAD_FUNNELED)
        return fr_err_set(err, FR_ERR_MPI, "this MPI library gives thread level %d, filmrestore needs "
                          "MPI_THREAD_FUNNELED (%d)", provided, MPI_THREAD_FUNNELED);
    if (MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN) != MPI_SUCCESS)
        return fr_err_set(err, FR_ERR_MPI, "MPI_Comm_set_errhandler failed");
    fr_wire *w = calloc(1, sizeof *w);
    if (!w)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    if (MPI_Comm_rank(MPI_COMM_WORLD, &w->rank) != MPI_SUCCESS ||
        MPI_Comm_size(MPI_COMM_WORLD, &w->size) != MPI_SUCCESS || w->size < 1) {
        free(w);
        return fr_err_set(err, FR_ERR_MPI, "MPI_Comm_rank or MPI_Comm_size failed");
    }
    *out = w;
    return FR_OK;
}

int fr_wire_rank(const fr_wire *w) { return w->rank; }
int fr_wire_size(const fr_wire *w) { return w->size; }

static int grow(uint8_t **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 1;
    uint8_t *p = realloc(*buf, need);
    if (!p)
        return 0;
    *buf = p;
    *cap = need;
    return 1;
}

fr_status fr_wire_send(fr_wire *w, int dest, const fr_msg_header *h, const void *a, size_t na,
                       const void *b, size_t nb, fr_err *err)
{
    size_t total = sizeof *h + na + nb;
    if (total > (size_t)INT32_MAX)
        return fr_err_set(err, FR_ERR_MPI, "message of %zu bytes is too large", total);
    if (w->pair) {
        queued *q = dest == 1 - w->rank ? copy_of(h, sizeof *h, a, na, b, nb) : NULL;
        if (!q)
            return fr_err_set(err, dest == 1 - w->rank ? FR_ERR_NOMEM : FR_ERR_MPI, "cannot send %zu bytes to rank %d",
                              total, dest);
        push(w->pair, &w->pair->head[dest], &w->pair->tail[dest], q);
        return FR_OK;
    }
    if (!grow(&w->sbuf, &w->scap, total))
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory for a %zu-byte message", total);
    memcpy(w->sbuf, h, sizeof *h);
    if (na)
        memcpy(w->sbuf + sizeof *h, a, na);
    if (nb)
        memcpy(w->sbuf + sizeof *h + na, b, nb);
    int rc = MPI_Send(w->sbuf, (int)total, MPI_BYTE, dest, FR_WIRE_TAG, MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? FR_OK : mpi_fail(err, rc, "MPI_Send");
}

/* Receives the probed message, whatever its length (so a refused one never blocks the
 * queue), and hands it to the one parser (fr_wire_parse.c, which tests/fuzz/fuzz_wire.c
 * fuzzes): no header field reaches a caller unchecked. */
static fr_status take(fr_wire *w, MPI_Status *status, fr_msg *m, fr_err *err)
{
    int len = 0;
    if (MPI_Get_count(status, MPI_BYTE, &len) != MPI_SUCCESS || len < 0)
        len = 0;
    if (!grow(&w->buf, &w->cap, len > 0 ? (size_t)len : 1))
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory for a %d-byte message", len);
    int rc = MPI_Recv(w->buf, len, MPI_BYTE, status->MPI_SOURCE, FR_WIRE_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS)
        return mpi_fail(err, rc, "MPI_Recv");
    return fr_wire_parse(w->buf, (size_t)len, status->MPI_SOURCE, m, err);
}

/* In-process: the next message for this rank, into its receive buffer, then the parser. */
static fr_status take_local(fr_wire *w, int wait, fr_msg *m, fr_err *err)
{
    queued *q = pop(w->pair, &w->pair->head[w->rank], &w->pair->tail[w->rank], wait);
    if (!q)
        return FR_EOF;
    free(w->buf);
    w->buf = q->buf;
    w->cap = q->len + 1;
    size_t len = q->len;
    free(q);
    return fr_wire_parse(w->buf, len, 1 - w->rank, m, err);
}

fr_status fr_wire_poll(fr_wire *w, int source, fr_msg *m, fr_err *err)
{
    if (w->pair)
        return source == FR_WIRE_ANY || source == 1 - w->rank ? take_local(w, 0, m, err) : FR_EOF;
    int flag = 0;
    MPI_Status status;
    int rc = MPI_Iprobe(source == FR_WIRE_ANY ? MPI_ANY_SOURCE : source, FR_WIRE_TAG, MPI_COMM_WORLD,
                        &flag, &status);
    if (rc != MPI_SUCCESS)
        return mpi_fail(err, rc, "MPI_Iprobe");
    return flag ? take(w, &status, m, err) : FR_EOF;
}

fr_status fr_wire_recv(fr_wire *w, int source, fr_msg *m, fr_err *err)
{
    if (w->pair && source != FR_WIRE_ANY && source != 1 - w->rank)
        return fr_err_set(err, FR_ERR_MPI, "no rank %d in one process", source);
    if (w->pair)
        return take_local(w, 1, m, err);
    long nap = 20000; /* ns; grows to 2 ms while nothing comes */
    for (;;) {
        fr_status st = fr_wire_poll(w, source, m, err);
        if (st != FR_EOF)
            return st;
        struct timespec ts = {0, nap};
        nanosleep(&ts, NULL);
        if (nap < 2000000)
            nap *= 2;
    }
}

/* In-process: rank 0 queues a copy of buf for rank 1, which waits for it. */
static fr_status bcast_local(fr_wire *w, uint8_t **buf, size_t *len, fr_err *err)
{
    local_pair *p = w->pair;
    if (w->rank == 0) {
        queued *q = copy_of(*buf, *len, NULL, 0, NULL, 0);
        if (!q)
            return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
        push(p, &p->bhead, &p->btail, q);
        return FR_OK;
    }
    queued *q = pop(p, &p->bhead, &p->btail, 1);
    *buf = q->buf;
    *len = q->len;
    free(q);
    return FR_OK;
}

fr_status fr_wire_bcast_config(fr_wire *w, fr_node_config *c, fr_err *err)
{
    if (w->pair) {
        uint8_t *b = (uint8_t *)c;
        size_t n = sizeof *c;
        fr_status st = bcast_local(w, &b, &n, err);
        if (st == FR_OK && w->rank != 0) {
            if (n == sizeof *c)
                memcpy(c, b, sizeof *c);
            free(b);
            if (n != sizeof *c)
                st = fr_err_set(err, FR_ERR_MPI, "a configuration of %zu bytes", n);
        }
        return st;
    }
    int rc = MPI_Bcast(c, (int)sizeof *c, MPI_BYTE, 0, MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? FR_OK : mpi_fail(err, rc, "MPI_Bcast");
}

fr_status fr_wire_bcast_blob(fr_wire *w, uint8_t **buf, size_t *len, fr_err *err)
{
    if (w->pair)
        return bcast_local(w, buf, len, err);
    int64_t n = w->rank == 0 ? (int64_t)*len : 0;
    int rc = MPI_Bcast(&n, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS)
        return mpi_fail(err, rc, "MPI_Bcast");
    if (n < 0 || n > INT32_MAX)
        return fr_err_set(err, FR_ERR_MPI, "broadcast of %lld bytes is out of bounds", (long long)n);
    if (w->rank != 0) {
        *buf = malloc(n ? (size_t)n : 1);
        *len = (size_t)n;
        if (!*buf)
            return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    }
    rc = n ? MPI_Bcast(*buf, (int)n, MPI_BYTE, 0, MPI_COMM_WORLD) : MPI_SUCCESS;
    return rc == MPI_SUCCESS ? FR_OK : mpi_fail(err, rc, "MPI_Bcast");
}

void fr_wire_abort(fr_wire *w, int code)
{
    if (w->pair)
        exit(code); /* both ranks are this process */
    MPI_Abort(MPI_COMM_WORLD, code);
}

fr_status fr_wire_finalize(fr_wire *w, fr_err *err)
{
    if (!w)
        return FR_OK;
    free(w->buf);
    free(w->sbuf);
    local_pair *p = w->pair;
    free(w);
    if (p) {
        pthread_mutex_lock(&p->mu);
        int last = --p->refs == 0;
        pthread_mutex_unlock(&p->mu);
        if (!last)
            return FR_OK;
        queued **lists[3] = {&p->head[0], &p->head[1], &p->bhead};
        for (int i = 0; i < 3; i++)
            for (queued *q = *lists[i], *next; q; q = next) {
                next = q->next;
                free(q->buf);
                free(q);
            }
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
        free(p);
        return FR_OK;
    }
    int rc = MPI_Finalize();
    return rc == MPI_SUCCESS ? FR_OK : mpi_fail(err, rc, "MPI_Finalize");
}
