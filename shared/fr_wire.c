/* fr_wire.c: MPI transport for the coordinator-node protocol (fr_wire.h). Every message it
 * receives is checked by fr_wire_parse before a caller sees it. */
#include "fr_wire.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mpi.h>

#include "fr_wire_parse.h"

#define FR_WIRE_TAG 7

struct fr_wire {
    int rank, size;
    uint8_t *buf;   /* receive buffer, grown as needed */
    size_t cap;
    uint8_t *sbuf;  /* send buffer */
    size_t scap;
};

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
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    fr_wire *w = calloc(1, sizeof *w);
    if (!w)
        return fr_err_set(err, FR_ERR_NOMEM, "out of memory");
    MPI_Comm_rank(MPI_COMM_WORLD, &w->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &w->size);
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

fr_status fr_wire_poll(fr_wire *w, int source, fr_msg *m, fr_err *err)
{
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

fr_status fr_wire_bcast_config(fr_wire *w, fr_node_config *c, fr_err *err)
{
    (void)w;
    int rc = MPI_Bcast(c, (int)sizeof *c, MPI_BYTE, 0, MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? FR_OK : mpi_fail(err, rc, "MPI_Bcast");
}

fr_status fr_wire_bcast_blob(fr_wire *w, uint8_t **buf, size_t *len, fr_err *err)
{
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
    (void)w;
    MPI_Abort(MPI_COMM_WORLD, code);
}

fr_status fr_wire_finalize(fr_wire *w, fr_err *err)
{
    if (!w)
        return FR_OK;
    free(w->buf);
    free(w->sbuf);
    free(w);
    int rc = MPI_Finalize();
    return rc == MPI_SUCCESS ? FR_OK : mpi_fail(err, rc, "MPI_Finalize");
}
