/* fuzz_input.h: hands a fuzzer's bytes to readers that take a path.
 *
 * The bytes go into one file per process in /dev/shm (memory, no disk), rewritten for
 * each input and removed at exit. (A memfd named through /proc/self/fd would be
 * lighter, but HDF5 refuses to open one.) Header-only: each target is one file. */
#ifndef FUZZ_INPUT_H
#define FUZZ_INPUT_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char fuzz_file[64];

static void fuzz_cleanup(void) { unlink(fuzz_file); }

/* Writes data to the process's input file and returns its path. */
static const char *fuzz_path(const uint8_t *data, size_t size, const char *ext)
{
    if (!fuzz_file[0]) {
        snprintf(fuzz_file, sizeof fuzz_file, "/dev/shm/fr-fuzz-%d%s", (int)getpid(), ext ? ext : "");
        atexit(fuzz_cleanup);
    }
    int fd = open(fuzz_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size) || close(fd) != 0)
        abort();
    return fuzz_file;
}

#endif
