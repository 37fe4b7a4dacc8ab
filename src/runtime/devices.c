/* One list of devices over all backends, with stable indices. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "runtime.h"

enum { N_BACKENDS = 2 };
static const ng_backend *const backends[N_BACKENDS] = {&ng_backend_opencl, &ng_backend_vulkan};

/* Each backend's devices, listed on first need: a "vulkan:N" session does not
 * start the OpenCL platforms (POCL's start-up, ~30 ms), nor "opencl:N" a
 * Vulkan instance. Lists are never freed: sessions point into them. */
typedef struct backend_devices {
    int listed, n;
    ng_device_entry *devs;
} backend_devices;

static backend_devices per_backend[N_BACKENDS];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void list_devices(int b, backend_devices *l) {
    int count = backends[b]->device_count();
    l->devs = calloc((size_t)(count > 0 ? count : 1), sizeof *l->devs);
    for (int i = 0; l->devs && i < count; i++) {
        ng_device_entry *e = &l->devs[l->n];
        if (backends[b]->device_info(i, &e->info) != NNGPU_OK) continue;
        e->backend = backends[b];
        e->info.backend = backends[b]->kind;
        e->info.backend_index = i;
        snprintf(e->info.selector, sizeof e->info.selector, "%s:%d", backends[b]->name, i);
        l->n++;
    }
}

static const backend_devices *devices_of(int b) {
    pthread_mutex_lock(&mu);
    backend_devices *l = &per_backend[b];
    if (!l->listed) list_devices(b, l);
    l->listed = 1;
    pthread_mutex_unlock(&mu);
    return l;
}

/* Where backend b's devices start in the list over all backends. */
static int offset_of(int b) {
    int offset = 0;
    for (int k = 0; k < b; k++) offset += devices_of(k)->n;
    return offset;
}

/* Device `index` of the list over all backends in order; NULL past its end. */
static const ng_device_entry *entry_at(int index) {
    for (int b = 0; b < N_BACKENDS; b++) {
        int local = index - offset_of(b);
        if (local >= 0 && local < devices_of(b)->n) return &devices_of(b)->devs[local];
    }
    return NULL;
}

int nngpu_device_count(void) { return offset_of(N_BACKENDS); }

nngpu_status nngpu_device_get(int index, nngpu_device_info *out) {
    const ng_device_entry *e = entry_at(index);
    if (!e)
        return ng_error(NNGPU_ERR_NOT_FOUND, "no device %d (%d devices; see --list-devices)",
                        index, nngpu_device_count());
    *out = e->info;
    out->index = index; /* entries hold no global index: listing one backend gives none */
    return NNGPU_OK;
}

/* The backend a "name:N" selector names, or -1. */
static int backend_named(const char *selector) {
    const char *colon = strchr(selector, ':');
    for (int b = 0; colon && b < N_BACKENDS; b++)
        if (strlen(backends[b]->name) == (size_t)(colon - selector) &&
            strncmp(backends[b]->name, selector, (size_t)(colon - selector)) == 0)
            return b;
    return -1;
}

static nngpu_status not_found(const char *selector) {
    return ng_error(NNGPU_ERR_NOT_FOUND,
                    "no device '%s' (use an index, opencl:N, vulkan:N or cpu; see --list-devices)",
                    selector);
}

/* The entry a selector names and its index in the list over all backends
 * (index NULL: not wanted, and only the named backend is listed). */
static nngpu_status find_entry(const char *selector, const ng_device_entry **out, int *index) {
    if (!selector || !*selector) return ng_error(NNGPU_ERR_INVALID_ARG, "empty device selector");
    char *end;
    long v = strtol(selector, &end, 10);
    if (*end == '\0') {
        int count = nngpu_device_count();
        if (v < 0 || v >= count)
            return ng_error(NNGPU_ERR_NOT_FOUND, "no device %ld (%d devices; see --list-devices)",
                            v, count);
        *out = entry_at((int)v);
        if (index) *index = (int)v;
        return NNGPU_OK;
    }
    int b = backend_named(selector);
    if (b < 0) return not_found(selector);
    const backend_devices *l = devices_of(b);
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->devs[i].info.selector, selector) == 0) {
            *out = &l->devs[i];
            if (index) *index = offset_of(b) + i;
            return NNGPU_OK;
        }
    return not_found(selector);
}

nngpu_status nngpu_device_find(const char *selector, int *index) {
    const ng_device_entry *e;
    return find_entry(selector, &e, index);
}

nngpu_status ng_device_resolve(const char *selector, const ng_device_entry **out) {
    if (selector && strcmp(selector, "cpu") == 0) {
        *out = NULL;
        return NNGPU_OK;
    }
    return find_entry(selector, out, NULL);
}
