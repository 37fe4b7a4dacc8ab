/* ng_hash128 of buffers that cannot change, remembered by address: an owner
 * registers a buffer while it keeps it alive and unchanged, and hashing it
 * again (a second session's shared constants) costs a lookup. */
#ifndef NG_HASH_MEMO_H
#define NG_HASH_MEMO_H

#include <stddef.h>
#include <stdint.h>

/* data[0..n) stays as it is until the matching unregister (counted: two
 * owners may register one buffer). 0, or -1 on OOM (nothing remembered). */
int ng_hash_memo_register(const void *data, size_t n);
void ng_hash_memo_unregister(const void *data, size_t n);
/* ng_hash128(data, n), remembered when data[0..n) is registered. */
void ng_hash128_memo(const void *data, size_t n, uint64_t out[2]);
/* For tests: hashes found remembered, and buffers registered now. */
void ng_hash_memo_stats(int *hits, int *registered);

#endif
