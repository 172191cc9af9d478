/* fr_sha256.h: SHA-256 (FIPS 180-4), incremental, for model and store checksums.
 *
 * Usage: fr_sha256 s; fr_sha256_init(&s); fr_sha256_update(&s, p, n) ...;
 *        fr_sha256_final(&s, digest) or fr_sha256_hex(&s, hex) (65 bytes, NUL-terminated). */
#ifndef FR_SHA256_H
#define FR_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t h[8];     /* chaining state */
    uint64_t bytes;    /* message length so far */
    uint8_t block[64]; /* pending partial block */
    size_t fill;       /* bytes pending in block */
} fr_sha256;

void fr_sha256_init(fr_sha256 *s);
void fr_sha256_update(fr_sha256 *s, const void *data, size_t n);
void fr_sha256_final(fr_sha256 *s, uint8_t digest[32]);
/* Finalises and writes the digest as 64 lowercase hex digits plus NUL. */
void fr_sha256_hex(fr_sha256 *s, char hex[65]);

#endif
