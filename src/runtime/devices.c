/* One list of devices over all backends, with stable indices. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "runtime.h"

static const ng_backend *const backends[] = {&ng_backend_opencl, &ng_backend_vulkan, NULL};

static ng_device_entry *devices;
static int n_devices;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void enumerate(void) {
    int total = 0;
    for (int b = 0; backends[b]; b++) total += backends[b]->device_count();
    devices = calloc((size_t)(total ? total : 1), sizeof *devices);
    if (!devices) return;
    for (int b = 0; backends[b]; b++) {
        int count = backends[b]->device_count();
        for (int i = 0; i < count; i++) {
            ng_device_entry *e = &devices[n_devices];
            if (backends[b]->device_info(i, &e->info) != NNGPU_OK) continue;
            e->backend = backends[b];
            e->info.index = n_devices;
            e->info.backend = backends[b]->kind;
            e->info.backend_index = i;
            snprintf(e->info.selector, sizeof e->info.selector, "%s:%d", backends[b]->name, i);
            n_devices++;
        }
    }
}

int nngpu_device_count(void) {
    pthread_once(&once, enumerate);
    return n_devices;
}

nngpu_status nngpu_device_get(int index, nngpu_device_info *out) {
    if (index < 0 || index >= nngpu_device_count())
        return ng_error(NNGPU_ERR_NOT_FOUND, "no device %d (%d devices; see --list-devices)",
                        index, nngpu_device_count());
    *out = devices[index].info;
    return NNGPU_OK;
}

nngpu_status nngpu_device_find(const char *selector, int *index) {
    int count = nngpu_device_count();
    if (!selector || !*selector)
        return ng_error(NNGPU_ERR_INVALID_ARG, "empty device selector");
    char *end;
    long v = strtol(selector, &end, 10);
    if (*end == '\0') {
        if (v < 0 || v >= count)
            return ng_error(NNGPU_ERR_NOT_FOUND, "no device %ld (%d devices; see --list-devices)",
                            v, count);
        *index = (int)v;
        return NNGPU_OK;
    }
    for (int i = 0; i < count; i++)
        if (strcmp(devices[i].info.selector, selector) == 0) {
            *index = i;
            return NNGPU_OK;
        }
    return ng_error(NNGPU_ERR_NOT_FOUND,
                    "no device '%s' (use an index, opencl:N, vulkan:N or cpu; see --list-devices)", selector);
}

nngpu_status ng_device_resolve(const char *selector, const ng_device_entry **out) {
    if (selector && strcmp(selector, "cpu") == 0) {
        *out = NULL;
        return NNGPU_OK;
    }
    int index;
    NG_CHECK(nngpu_device_find(selector, &index));
    *out = &devices[index];
    return NNGPU_OK;
}
