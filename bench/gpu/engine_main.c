/* engine_main.c: fr-engine, `filmrestore engine_forward` alone, for bench/gpu-check. It
 * links the engine, the model reader and the backends only (no FFmpeg, MPI or ZeroMQ), so
 * its bundle of shared libraries fits the copy a bare GPU machine is given. */
#include "cli.h"

int main(int argc, char **argv) { return fr_cmd_engine_forward(argc - 1, argv + 1); }
