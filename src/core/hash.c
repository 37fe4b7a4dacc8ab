#include "hash.h"

#include <pthread.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

uint64_t ng_hash_bytes(uint64_t h, const void *data, size_t n) {
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

uint64_t ng_hash_str(uint64_t h, const char *s) {
    if (!s) s = "";
    return ng_hash_bytes(h, s, strlen(s) + 1);
}

/* ng_hash128: two polynomial hashes over GF(2^61 - 1) with keys drawn at
 * random once per process (Carter-Wegman): for two different inputs of L
 * 32-bit words fixed before the keys were drawn, each lane collides with
 * probability <= L / 2^61, both together with its square. Every input word
 * is below the prime, so the map from words to polynomials is one-to-one;
 * the length is hashed in last. */
#define P61 ((1ull << 61) - 1)

typedef unsigned __int128 u128;

static uint64_t key[2][9]; /* r^0 .. r^8 per lane */
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

/* x mod P61 (any x). */
static uint64_t reduce(u128 x) {
    x = (x & P61) + (x >> 61); /* < 2^67 + 2^61 */
    uint64_t r = (uint64_t)(x & P61) + (uint64_t)(x >> 61);
    return r >= P61 ? r - P61 : r;
}

static void draw_keys(void) {
    uint64_t r[2] = {0, 0};
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) { /* no entropy source: still varies */
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        r[0] = (uint64_t)t.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid();
        r[1] = (uint64_t)t.tv_sec * 0xc2b2ae3d27d4eb4full ^ (uint64_t)(uintptr_t)&t;
    }
    for (int l = 0; l < 2; l++) {
        key[l][0] = 1;
        key[l][1] = r[l] % (P61 - 1) + 1;
        for (int e = 2; e <= 8; e++) key[l][e] = reduce((u128)key[l][e - 1] * key[l][1]);
    }
}

/* h r^8 + w0 r^7 + ... + w7: one step of Horner's rule over eight 32-bit
 * words, reduced once (nine products below 2^122 each). */
static uint64_t step8(uint64_t h, const uint32_t *w, const uint64_t *k) {
    u128 x = (u128)h * k[8] + w[7];
    for (int j = 0; j < 7; j++) x += (u128)w[j] * k[7 - j];
    return reduce(x);
}

/* Per lane, Horner over 32-bit words, eight a step; both lanes in one pass. */
void ng_hash128(const void *data, size_t n, uint64_t out[2]) {
    pthread_once(&key_once, draw_keys);
    const unsigned char *p = data;
    const uint64_t *a = key[0], *b = key[1];
    uint64_t ha = 0, hb = 0;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        uint32_t w[8];
        memcpy(w, p + i, 32);
        ha = step8(ha, w, a);
        hb = step8(hb, w, b);
    }
    for (; i < n; i += 4) { /* the tail: words of up to 4 bytes, zero-padded */
        uint32_t w = 0;
        memcpy(&w, p + i, n - i < 4 ? n - i : 4);
        ha = reduce((u128)ha * a[1] + w);
        hb = reduce((u128)hb * b[1] + w);
    }
    out[0] = reduce((u128)ha * a[1] + (uint64_t)n % P61);
    out[1] = reduce((u128)hb * b[1] + (uint64_t)n % P61);
}
