#include "dims.h"

#include <stdio.h>

const char *ng_dims_format(const int64_t *d, int n, const char *sep, char *buf, size_t cap) {
    size_t len = 0;
    if (cap) buf[0] = '\0';
    for (int i = 0; i < n && len < cap; i++) {
        int w = snprintf(buf + len, cap - len, "%s%lld", i ? sep : "", (long long)d[i]);
        if (w < 0) break;
        len += (size_t)w;
    }
    return buf;
}
