/* fuzz_wire.c: the coordinator-node message decoder on arbitrary bytes: the header
 * checks (fr_wire_parse, the very function fr_wire_recv and fr_wire_poll pass every
 * received message through), for READY the payload that names the model, for HELLO its
 * instruction set, and for a
 * SEGMENT job its payload as the node parses it (nodes/segment.c), then its packets. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fr_pktlist.h"
#include "fr_wire_parse.h"
#include "segment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fr_msg m;
    fr_err err;
    if (fr_wire_parse(data, size, 1, &m, &err) != FR_OK)
        return 0;
    if (m.h.type == FR_MSG_READY) {
        fr_ready r;
        if (fr_wire_parse_ready(&m, &r, &err) == FR_OK &&
            (strnlen(r.name, sizeof r.name) >= sizeof r.name || strnlen(r.hash, sizeof r.hash) >= sizeof r.hash ||
             strnlen(r.numerics, sizeof r.numerics) >= sizeof r.numerics || strnlen(r.host, sizeof r.host) >= sizeof r.host ||
             !r.host[0]))
            __builtin_trap();
    }
    if (m.h.type == FR_MSG_HELLO) {
        char isa[FR_WIRE_ISA_LEN];
        if (fr_wire_parse_hello(&m, isa, sizeof isa, &err) == FR_OK && strnlen(isa, sizeof isa) >= sizeof isa)
            __builtin_trap();
    }
    if (m.h.type == FR_MSG_WORK || m.h.type == FR_MSG_RESULT) { /* what the node sizes from it */
        int64_t frames = (int64_t)m.h.out_first + m.h.out_count;
        if (frames > m.h.count || (int64_t)m.h.size * m.h.size * m.h.count > (int64_t)4096 * 4096 * 65536)
            __builtin_trap();
    }
    if (m.h.type == FR_MSG_WORK) {
        fr_segment_job job;
        void *owned = NULL;
        if (fr_segment_parse(&m, &job, &owned, &err) == FR_OK) {
            size_t plane = (size_t)m.h.size * m.h.size;
            if (job.pkts + job.pkt_len != m.payload + m.payload_len || job.nref > m.h.count ||
                (job.given && job.given + plane * 2 * (size_t)m.h.count > job.pkts))
                __builtin_trap();
            size_t pos = 0;
            fr_pkt p;
            while (fr_pktlist_next(job.pkts, job.pkt_len, &pos, &p) == 1)
                if (p.data + p.size > job.pkts + job.pkt_len)
                    __builtin_trap();
        }
        free(owned);
    }
    return 0;
}
