/* 64-bit FNV-1a: cache keys and kernel-source hashes (not cryptographic);
 * a keyed 128-bit hash for buffers compared within one process. */
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
/* 128 bits over n bytes with keys drawn at random once per process: equal
 * for equal bytes, and two different inputs fixed beforehand (a model file)
 * collide with probability below n / 2^125 (a polynomial hash over
 * GF(2^61 - 1) per 64 bits; not a MAC). Only meaningful within the process. */
void ng_hash128(const void *data, size_t n, uint64_t out[2]);

#endif
