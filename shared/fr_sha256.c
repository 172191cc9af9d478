/* fr_sha256.c: SHA-256 written from FIPS 180-4.
 *
 * The round constants and initial hash value are, by the standard's definition, the first
 * 32 bits of the fractional parts of the cube roots of the first 64 primes and of the
 * square roots of the first 8 primes; they are derived once at first use rather than
 * tabulated (double precision leaves ~50 fractional bits, ample for 32). */
#include "fr_sha256.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static uint32_t K[64], H0[8];
static pthread_once_t consts_once = PTHREAD_ONCE_INIT;

static void derive_constants(void)
{
    int primes[64], n = 0;
    for (int c = 2; n < 64; c++) {
        int prime = 1;
        for (int d = 2; d * d <= c; d++)
            if (c % d == 0) {
                prime = 0;
                break;
            }
        if (prime)
            primes[n++] = c;
    }
    for (int i = 0; i < 64; i++) {
        double r = cbrt((double)primes[i]);
        K[i] = (uint32_t)ldexp(r - floor(r), 32);
    }
    for (int i = 0; i < 8; i++) {
        double r = sqrt((double)primes[i]);
        H0[i] = (uint32_t)ldexp(r - floor(r), 32);
    }
}

static inline uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void compress(uint32_t h[8], const uint8_t *p)
{
    uint32_t w[64];
    for (int t = 0; t < 16; t++)
        w[t] = (uint32_t)p[4 * t] << 24 | (uint32_t)p[4 * t + 1] << 16 | (uint32_t)p[4 * t + 2] << 8 |
               p[4 * t + 3];
    for (int t = 16; t < 64; t++) {
        uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
        uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (int t = 0; t < 64; t++) {
        uint32_t t1 = k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + w[t];
        uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        k = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += k;
}

void fr_sha256_init(fr_sha256 *s)
{
    pthread_once(&consts_once, derive_constants);
    memcpy(s->h, H0, sizeof H0);
    s->bytes = 0;
    s->fill = 0;
}

void fr_sha256_update(fr_sha256 *s, const void *data, size_t n)
{
    const uint8_t *p = data;
    s->bytes += n;
    if (s->fill) {
        size_t k = 64 - s->fill < n ? 64 - s->fill : n;
        memcpy(s->block + s->fill, p, k);
        s->fill += k, p += k, n -= k;
        if (s->fill < 64)
            return;
        compress(s->h, s->block);
        s->fill = 0;
    }
    for (; n >= 64; p += 64, n -= 64)
        compress(s->h, p);
    memcpy(s->block, p, n);
    s->fill = n;
}

void fr_sha256_final(fr_sha256 *s, uint8_t digest[32])
{
    uint64_t bits = s->bytes * 8;
    uint8_t pad[72] = {0x80};
    size_t k = (s->fill < 56 ? 56 : 120) - s->fill;
    for (int i = 0; i < 8; i++)
        pad[k + i] = (uint8_t)(bits >> (56 - 8 * i));
    fr_sha256_update(s, pad, k + 8);
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 4; j++)
            digest[4 * i + j] = (uint8_t)(s->h[i] >> (24 - 8 * j));
}

void fr_sha256_hex(fr_sha256 *s, char hex[65])
{
    uint8_t d[32];
    fr_sha256_final(s, d);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
}
