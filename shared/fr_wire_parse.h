/* fr_wire_parse.h: decoding coordinator-node messages from bytes, trusting nothing.
 *
 * Pure functions, no MPI: what fr_wire receives is a byte buffer, and everything in it
 * (type, job kind, counts, sizes, the READY payload) is checked here before any of it is
 * used as a size or an index. Kept apart from fr_wire.c so that a fuzzer can drive it.
 * The parsed message points into the caller's buffer. */
#ifndef FR_WIRE_PARSE_H
#define FR_WIRE_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "fr_status.h"
#include "fr_wire.h"

#define FR_WIRE_MAX_SIZE 4096     /* render size, pixels on a side */
#define FR_WIRE_MAX_COUNT 65536   /* frames in one COLORIZE or SMOOTH message */

/* Splits buf (one received message from rank `source`) into header and payload, and
 * checks the header's fields for its type. FR_ERR_MPI names the first bad field
 * ("message from rank 2: field count = 0: not in [1, 65536]"). The one parser of
 * received messages: fr_wire_recv and fr_wire_poll call it, tests/fuzz/fuzz_wire.c
 * fuzzes it. */
fr_status fr_wire_parse(const uint8_t *buf, size_t len, int source, fr_msg *m, fr_err *err);

/* A READY payload: "NAME\nHASH\nNUMERICS\nHOST\0": the model's name, its weights' hex
 * sha256 (or an empty hash for the built-in test models), the numerics its engine runs
 * ("cpu fp32 direct"; printable text, not empty) and the node's host name (for the
 * store's provenance). */
typedef struct {
    char name[128];
    char hash[65];
    char numerics[64];
    char host[256];
} fr_ready;

fr_status fr_wire_parse_ready(const fr_msg *m, fr_ready *r, fr_err *err);

/* HELLO's payload: the node's instruction set, "avx2" (lower case, digits, '_'), into isa
 * (len bytes, the NUL included). */
#define FR_WIRE_ISA_LEN 32
fr_status fr_wire_parse_hello(const fr_msg *m, char *isa, size_t len, fr_err *err);

#endif
