/* Constants shared by the contexts on one device: a host's second session of
 * a model, the INT8/FP16 guards' sessions. A prepared constant buffer
 * (weights as uploaded, packed or Winograd-transformed) is keyed by a 128-bit
 * hash of the bytes it is made from, their size, its own size and a recipe
 * naming how it is made; a context that finds the key takes a reference
 * instead of preparing, uploading and holding another copy. Shared buffers
 * are read-only once made and live in device allocations of their own, so
 * they outlive the context that made them; the device's last reference frees
 * one. The list is under the device's const_mu (a miss is made under it, so
 * two contexts never make the same constant twice). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash_memo.h"
#include "core/status.h"
#include "vk_device.h"
#include "vk_stats.h"

struct ng_vk_const {
    uint64_t hash[2];
    size_t src_bytes, bytes;
    char recipe[96];
    ng_buffer *buf;
    int refs;
    ng_vk_const *next;
};

static atomic_int n_made, n_reused, n_live;

ng_vk_const_stats ng_vk_const_stats_get(void) {
    return (ng_vk_const_stats){.made = atomic_load(&n_made),
                               .reused = atomic_load(&n_reused),
                               .live = atomic_load(&n_live)};
}

static ng_vk_const *find(ng_vk_shared *d, const uint64_t hash[2], size_t src_bytes, size_t bytes,
                         const char *recipe) {
    for (ng_vk_const *e = d->consts; e; e = e->next)
        if (e->hash[0] == hash[0] && e->hash[1] == hash[1] && e->src_bytes == src_bytes &&
            e->bytes == bytes && strcmp(e->recipe, recipe) == 0)
            return e;
    return NULL;
}

/* A new entry with its buffer made and filled; NULL and *s on failure. */
static ng_vk_const *make(ng_context *c, const uint64_t hash[2], size_t src_bytes,
                         const char *recipe, size_t bytes, void (*fill)(void *, void *),
                         void *arg, nngpu_status *s) {
    ng_vk_const *e = calloc(1, sizeof *e);
    if (!e) {
        *s = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "vulkan: out of host memory");
        return NULL;
    }
    *s = ng_vk_solo_buffer_create(c, bytes, &e->buf);
    if (*s == NNGPU_OK) *s = ng_vk_buffer_fill(c, e->buf, bytes, fill, arg);
    if (*s != NNGPU_OK) {
        if (e->buf) ng_vk_solo_buffer_free(c->device, e->buf);
        free(e);
        return NULL;
    }
    memcpy(e->hash, hash, sizeof e->hash);
    e->src_bytes = src_bytes;
    e->bytes = bytes;
    snprintf(e->recipe, sizeof e->recipe, "%s", recipe);
    return e;
}

nngpu_status ng_vk_const_acquire(ng_context *c, const void *src, size_t src_bytes,
                                 const char *recipe, size_t bytes,
                                 void (*fill)(void *arg, void *dst), void *arg, ng_buffer **out) {
    if (strlen(recipe) >= sizeof ((ng_vk_const *)0)->recipe)
        return ng_error(NNGPU_ERR_INTERNAL, "vulkan: constant recipe '%s' too long", recipe);
    uint64_t hash[2];
    ng_hash128_memo(src, src_bytes, hash); /* remembered for a prepared graph's constants */
    ng_buffer *view = calloc(1, sizeof *view);
    if (!view) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "vulkan: out of host memory");
    ng_vk_shared *d = c->shared;
    nngpu_status s = NNGPU_OK;
    pthread_mutex_lock(&d->const_mu);
    ng_vk_const *e = find(d, hash, src_bytes, bytes, recipe);
    if (e) {
        s = ng_vk_alloc_check(c, e->buf->size);
        if (s == NNGPU_OK) {
            e->refs++;
            atomic_fetch_add(&n_reused, 1);
        }
    } else {
        s = ng_vk_alloc_check(c, bytes);
        if (s == NNGPU_OK) e = make(c, hash, src_bytes, recipe, bytes, fill, arg, &s);
        if (e) {
            e->refs = 1;
            e->next = d->consts;
            d->consts = e;
            atomic_fetch_add(&n_made, 1);
            atomic_fetch_add(&n_live, 1);
        }
    }
    pthread_mutex_unlock(&d->const_mu);
    if (s != NNGPU_OK) {
        free(view);
        return s;
    }
    *view = *e->buf;
    view->shared = e;
    c->allocated += (size_t)view->size;
    *out = view;
    return NNGPU_OK;
}

static void entry_free(ng_vk_shared *d, ng_vk_const *e) {
    ng_vk_solo_buffer_free(d->device, e->buf);
    free(e);
    atomic_fetch_sub(&n_live, 1);
}

void ng_vk_const_release(ng_vk_shared *d, ng_vk_const *e) {
    pthread_mutex_lock(&d->const_mu);
    if (--e->refs == 0) {
        ng_vk_const **pp = &d->consts;
        while (*pp != e) pp = &(*pp)->next;
        *pp = e->next;
        entry_free(d, e);
    }
    pthread_mutex_unlock(&d->const_mu);
}

void ng_vk_consts_release(ng_vk_shared *d) {
    while (d->consts) {
        ng_vk_const *e = d->consts;
        d->consts = e->next;
        entry_free(d, e);
    }
}
