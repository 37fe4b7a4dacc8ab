#include "hash.h"

#include <string.h>

uint64_t ng_hash_bytes(uint64_t h, const void *data, size_t n) {
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

uint64_t ng_hash_str(uint64_t h, const char *s) {
    if (!s) s = "";
    return ng_hash_bytes(h, s, strlen(s) + 1);
}

static uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static uint64_t fmix(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ull;
    return k ^ (k >> 33);
}

void ng_hash128(const void *data, size_t n, uint64_t out[2]) {
    const uint64_t c1 = 0x87c37b91114253d5ull, c2 = 0x4cf5ad432745937full;
    const unsigned char *p = data;
    uint64_t h1 = 0x9e3779b97f4a7c15ull, h2 = 0x6a09e667f3bcc909ull;
    unsigned char tail[16];
    for (size_t i = 0; i < n; i += 16) {
        const unsigned char *q = p + i;
        if (n - i < 16) { /* the last partial step, zero-padded (n mixed in below) */
            memset(tail, 0, sizeof tail);
            memcpy(tail, q, n - i);
            q = tail;
        }
        uint64_t k1, k2;
        memcpy(&k1, q, 8);
        memcpy(&k2, q + 8, 8);
        h1 ^= rotl(k1 * c1, 31) * c2;
        h1 = (rotl(h1, 27) + h2) * 5 + 0x52dce729;
        h2 ^= rotl(k2 * c2, 33) * c1;
        h2 = (rotl(h2, 31) + h1) * 5 + 0x38495ab5;
    }
    h1 ^= (uint64_t)n;
    h2 ^= (uint64_t)n;
    h1 += h2;
    h2 += h1;
    h1 = fmix(h1);
    h2 = fmix(h2);
    h1 += h2;
    out[0] = h1;
    out[1] = h2 + h1;
}
