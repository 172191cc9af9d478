/* fr_wire.h: the coordinator-node protocol over MPI (docs/protocol.md).
 *
 * This is the only module that calls MPI. Every message is one MPI_BYTE
 * message: a fixed fr_msg_header followed by an optional payload. Rank 0 is
 * the coordinator; every other rank is a node. A node announces itself with
 * READY, gets WORK, answers with RESULT (which also asks for more), and stops
 * at STOP; FAIL carries a node's one-line error. Waiting is polite: a rank
 * that waits for a message sleeps between probes instead of spinning, so idle
 * ranks leave the cores to the ones computing. */
#ifndef FR_WIRE_H
#define FR_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "fr_status.h"

#define FR_WIRE_ANY (-1)

typedef enum {
    FR_MSG_READY = 1,  /* node -> coordinator: ready for work */
    FR_MSG_WORK = 2,   /* coordinator -> node: a batch to colourise or smooth */
    FR_MSG_RESULT = 3, /* node -> coordinator: the batch's chroma */
    FR_MSG_STOP = 4,   /* coordinator -> node: no more work */
    FR_MSG_FAIL = 5,   /* node -> coordinator: payload is a one-line error */
    FR_MSG_HELLO = 6,  /* node -> coordinator, before it loads the model: its CPU's instruction set */
} fr_msg_type;

/* SEGMENT: a segment of the plan, end to end on one node (nodes/segment.h has the
 * payloads). FEATURES: a chunk of the film's frames, decoded for the shot detector's
 * per-frame features (nodes/features.h). */
/* After the HELLOs the coordinator broadcasts the instruction set every node caps oneDNN at
 * ("" for none), or this, when it refuses the run (the nodes then stop). */
#define FR_WIRE_ISA_STOP "stop"

typedef enum { FR_JOB_SEGMENT = 4, FR_JOB_FEATURES = 5 } fr_job_kind;

typedef struct {
    int32_t type;      /* fr_msg_type */
    int32_t job;       /* fr_job_kind */
    int64_t batch;     /* the segment's row in the plan */
    int64_t start;     /* first frame the node decodes (the segment's context included) */
    int32_t count;     /* frames it decodes */
    int32_t size;      /* render size: frames are size x size */
    int32_t out_first; /* first of those frames that the segment outputs */
    int32_t out_count; /* frames the segment outputs */
} fr_msg_header;

/* Settings every node needs, broadcast once at start-up. */
typedef struct {
    char model[1024];
    char backend[16];
    char precision[16];  /* "" = the backend's default */
    char stages[2048];   /* the stage table's settings, "option=value\n" (fr_stage_settings_pack) */
    int32_t threads;
    int32_t size;
    int32_t batch;       /* the run's --batch: the engine plans its buffers for it */
    int32_t winograd;    /* 1 on, 0 off */
    char output[1024];   /* the output's name: its container and codec */
    char codec[16];      /* --codec, "" for the output's default */
    int32_t shots_grid;  /* the shot detector's grid and blank threshold, for FEATURES */
    float shots_flat_sigma;
} fr_node_config;

typedef struct {
    fr_msg_header h;
    int source;        /* sending rank */
    uint8_t *payload;  /* points into the receiver's buffer; valid until the next receive */
    size_t payload_len;
} fr_msg;

typedef struct fr_wire fr_wire;

/* MPI_Init (threads: funneled; only the calling thread uses MPI). */
fr_status fr_wire_init(fr_wire **out, int *argc, char ***argv, fr_err *err);
/* Two ranks in this one process, for --ranks 0: the coordinator's end and a node's (run
 * fr_node_main on it in a thread). Same messages, same parser; no MPI. Finalize both. */
fr_status fr_wire_init_pair(fr_wire **coordinator, fr_wire **node, fr_err *err);
int fr_wire_rank(const fr_wire *w);
int fr_wire_size(const fr_wire *w);
/* True when this process was started by mpirun or srun. */
int fr_wire_launched(void);

/* Sends header + two payload parts (either may be empty) to dest. */
fr_status fr_wire_send(fr_wire *w, int dest, const fr_msg_header *h, const void *a, size_t na,
                       const void *b, size_t nb, fr_err *err);
/* Waits for the next message from source (FR_WIRE_ANY for any rank). The message is
 * checked by fr_wire_parse (fr_wire_parse.h): a malformed one is consumed and refused
 * with FR_ERR_MPI naming the field. */
fr_status fr_wire_recv(fr_wire *w, int source, fr_msg *m, fr_err *err);
/* Non-blocking: FR_OK with a message, FR_EOF when none is waiting; checked as above. */
fr_status fr_wire_poll(fr_wire *w, int source, fr_msg *m, fr_err *err);

fr_status fr_wire_bcast_config(fr_wire *w, fr_node_config *c, fr_err *err);
/* Rank 0's *buf (*len bytes) to every rank; the others get a malloc'ed copy. */
fr_status fr_wire_bcast_blob(fr_wire *w, uint8_t **buf, size_t *len, fr_err *err);
/* Ends every rank of the job with code (a fatal error on one rank). */
void fr_wire_abort(fr_wire *w, int code);
fr_status fr_wire_finalize(fr_wire *w, fr_err *err);

#endif
