/* 64-bit FNV-1a: cache keys and kernel-source hashes (not cryptographic). */
#ifndef NG_HASH_H
#define NG_HASH_H

#include <stddef.h>
#include <stdint.h>

#define NG_HASH_INIT 1469598103934665603ull

/* Continues hash h over n bytes (start with NG_HASH_INIT). */
uint64_t ng_hash_bytes(uint64_t h, const void *data, size_t n);
/* The same over a NUL-terminated string, NUL included (so "a","bc" != "ab","c");
 * NULL hashes like "". */
uint64_t ng_hash_str(uint64_t h, const char *s);

#endif
