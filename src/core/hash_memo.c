/* Registered buffers in one array under a lock: a few hundred at most (the
 * large constants of the prepared graphs alive), so a linear search. */
#include "hash_memo.h"

#include <pthread.h>
#include <stdlib.h>

#include "hash.h"

typedef struct memo {
    const void *data;
    size_t n;
    int owners, hashed;
    uint64_t hash[2];
} memo;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static memo *memos;
static int n_memos, cap_memos, n_hits;

static memo *find(const void *data, size_t n) {
    for (int i = 0; i < n_memos; i++)
        if (memos[i].data == data && memos[i].n == n) return &memos[i];
    return NULL;
}

int ng_hash_memo_register(const void *data, size_t n) {
    int rc = 0;
    pthread_mutex_lock(&mu);
    memo *m = find(data, n);
    if (m) {
        m->owners++;
    } else if (n_memos == cap_memos) {
        int cap = cap_memos ? 2 * cap_memos : 64;
        memo *grown = realloc(memos, sizeof *memos * (size_t)cap);
        if (grown) {
            memos = grown;
            cap_memos = cap;
        }
        rc = grown ? 0 : -1;
    }
    if (!m && rc == 0) memos[n_memos++] = (memo){.data = data, .n = n, .owners = 1};
    pthread_mutex_unlock(&mu);
    return rc;
}

void ng_hash_memo_unregister(const void *data, size_t n) {
    pthread_mutex_lock(&mu);
    memo *m = find(data, n);
    if (m && --m->owners == 0) *m = memos[--n_memos];
    if (!n_memos) { /* none left: give the array back */
        free(memos);
        memos = NULL;
        cap_memos = 0;
    }
    pthread_mutex_unlock(&mu);
}

void ng_hash128_memo(const void *data, size_t n, uint64_t out[2]) {
    pthread_mutex_lock(&mu);
    memo *m = find(data, n);
    int known = m && m->hashed;
    n_hits += known;
    if (known) {
        out[0] = m->hash[0];
        out[1] = m->hash[1];
    }
    pthread_mutex_unlock(&mu);
    if (known) return;
    ng_hash128(data, n, out); /* outside the lock; registered data cannot change */
    pthread_mutex_lock(&mu);
    if ((m = find(data, n))) {
        m->hash[0] = out[0];
        m->hash[1] = out[1];
        m->hashed = 1;
    }
    pthread_mutex_unlock(&mu);
}

void ng_hash_memo_stats(int *hits, int *registered) {
    pthread_mutex_lock(&mu);
    *hits = n_hits;
    *registered = n_memos;
    pthread_mutex_unlock(&mu);
}
