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
