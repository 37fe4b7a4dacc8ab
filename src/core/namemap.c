#include "namemap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct ng_name_map {
    size_t cap, count; /* cap is a power of two */
    char **keys;
    int *values;
};

static uint64_t hash_str(const char *s) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

ng_name_map *ng_name_map_create(void) {
    ng_name_map *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->cap = 64;
    m->keys = calloc(m->cap, sizeof *m->keys);
    m->values = calloc(m->cap, sizeof *m->values);
    if (!m->keys || !m->values) {
        ng_name_map_destroy(m);
        return NULL;
    }
    return m;
}

void ng_name_map_destroy(ng_name_map *m) {
    if (!m) return;
    for (size_t i = 0; m->keys && i < m->cap; i++) free(m->keys[i]);
    free(m->keys);
    free(m->values);
    free(m);
}

static size_t slot_of(const ng_name_map *m, const char *key) {
    size_t i = hash_str(key) & (m->cap - 1);
    while (m->keys[i] && strcmp(m->keys[i], key) != 0) i = (i + 1) & (m->cap - 1);
    return i;
}

int ng_name_map_get(const ng_name_map *m, const char *key) {
    size_t i = slot_of(m, key);
    return m->keys[i] ? m->values[i] : -1;
}

static int grow(ng_name_map *m) {
    ng_name_map bigger = {m->cap * 2, 0, NULL, NULL};
    bigger.keys = calloc(bigger.cap, sizeof *bigger.keys);
    bigger.values = calloc(bigger.cap, sizeof *bigger.values);
    if (!bigger.keys || !bigger.values) {
        free(bigger.keys);
        free(bigger.values);
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i]) continue;
        size_t j = slot_of(&bigger, m->keys[i]);
        bigger.keys[j] = m->keys[i];
        bigger.values[j] = m->values[i];
    }
    free(m->keys);
    free(m->values);
    m->cap = bigger.cap;
    m->keys = bigger.keys;
    m->values = bigger.values;
    return 0;
}

int ng_name_map_put(ng_name_map *m, const char *key, int value) {
    if ((m->count + 1) * 2 > m->cap && grow(m) != 0) return -1;
    size_t i = slot_of(m, key);
    if (!m->keys[i]) {
        m->keys[i] = strdup(key);
        if (!m->keys[i]) return -1;
        m->count++;
    }
    m->values[i] = value;
    return 0;
}
