/* fr_node.h: the life of a node rank: receive the configuration, agree the instruction
 * set with the coordinator (HELLO), open the generator and the stage table's rows, report
 * READY, then serve WORK messages until STOP. */
#ifndef FR_NODE_H
#define FR_NODE_H

#include "fr_status.h"
#include "fr_wire.h"

/* Runs until the coordinator says STOP. Errors are sent to the coordinator as
 * FAIL before they are returned. */
fr_status fr_node_main(fr_wire *w, fr_err *err);

#endif
