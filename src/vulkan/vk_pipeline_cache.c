/* The VkPipelineCache file: <cache dir>/vk_pipelines_<device uuid>.bin
 * (core/cachedir.h). The file starts with our own header (magic, nngpu
 * version, vendor/device ids, driver version, pipeline-cache and device
 * UUIDs, data size and hash), checked before the data is given to the
 * driver; a file that does not match is ignored with a warning. Read when
 * the shared device is created, written (to a temporary name, then renamed)
 * when its last context goes, if a pipeline was compiled (vk_shared.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cachedir.h"
#include "core/hash.h"
#include "vk_device.h"

#define CACHE_MAGIC "NGVKPC01"

typedef struct cache_header {
    char magic[8];
    char version[16];
    uint32_t vendor_id, device_id, driver_version, header_size;
    uint8_t pipeline_cache_uuid[VK_UUID_SIZE];
    uint8_t device_uuid[VK_UUID_SIZE];
    uint64_t data_size;
    uint64_t data_hash;
} cache_header;

static void header_fill(const ng_vk_device_desc *d, cache_header *h) {
    memset(h, 0, sizeof *h);
    memcpy(h->magic, CACHE_MAGIC, 8);
    snprintf(h->version, sizeof h->version, "%s", NNGPU_VERSION);
    h->vendor_id = d->vendor_id;
    h->device_id = d->device_id;
    h->driver_version = d->driver_version;
    h->header_size = (uint32_t)sizeof *h;
    memcpy(h->pipeline_cache_uuid, d->pipeline_cache_uuid, VK_UUID_SIZE);
    memcpy(h->device_uuid, d->device_uuid, VK_UUID_SIZE);
}

/* The cache file's path, or 0 when there is no cache directory. */
static int cache_path(const ng_vk_device_desc *d, char *path, size_t cap, char *dir, size_t dcap) {
    if (!ng_cache_dir(dir, dcap)) return 0;
    char uuid[2 * VK_UUID_SIZE + 1];
    for (unsigned i = 0; i < VK_UUID_SIZE; i++) snprintf(uuid + 2 * i, 3, "%02x", d->device_uuid[i]);
    return snprintf(path, cap, "%s/vk_pipelines_%s.bin", dir, uuid) < (int)cap;
}

static void warn(const char *path, const char *why) {
    fprintf(stderr, "nngpu: warning: ignoring the vulkan pipeline cache %s: %s\n", path, why);
}

/* Reads and checks the file; returns the driver data (malloc'd) or NULL. */
static void *cache_read(const ng_vk_device_desc *d, const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL; /* no cache yet */
    cache_header h, want;
    header_fill(d, &want);
    void *data = NULL;
    const char *why = NULL;
    if (fread(&h, sizeof h, 1, f) != 1 || memcmp(h.magic, CACHE_MAGIC, 8) != 0 ||
        h.header_size != sizeof h)
        why = "not an nngpu pipeline cache";
    else if (memcmp(h.version, want.version, sizeof h.version) != 0)
        why = "written by another nngpu version";
    else if (h.vendor_id != want.vendor_id || h.device_id != want.device_id ||
             h.driver_version != want.driver_version ||
             memcmp(h.pipeline_cache_uuid, want.pipeline_cache_uuid, VK_UUID_SIZE) != 0 ||
             memcmp(h.device_uuid, want.device_uuid, VK_UUID_SIZE) != 0)
        why = "written for another device or driver";
    else if (h.data_size < 16 + VK_UUID_SIZE || h.data_size > ((uint64_t)1 << 30))
        why = "bad data size";
    else if (!(data = malloc((size_t)h.data_size)))
        why = "out of host memory";
    else if (fread(data, 1, (size_t)h.data_size, f) != h.data_size)
        why = "truncated";
    else if (ng_hash_bytes(NG_HASH_INIT, data, (size_t)h.data_size) != h.data_hash)
        why = "corrupt (hash mismatch)";
    else {
        /* the driver's own header: length, version, vendor, device, uuid */
        uint32_t vh[4];
        memcpy(vh, data, sizeof vh);
        if (vh[0] < 16 + VK_UUID_SIZE || vh[1] != VK_PIPELINE_CACHE_HEADER_VERSION_ONE ||
            vh[2] != d->vendor_id || vh[3] != d->device_id ||
            memcmp((char *)data + 16, d->pipeline_cache_uuid, VK_UUID_SIZE) != 0)
            why = "driver data for another device";
    }
    fclose(f);
    if (why) {
        warn(path, why);
        free(data);
        return NULL;
    }
    *size = (size_t)h.data_size;
    return data;
}

void ng_vk_pipeline_cache_open(ng_vk_shared *sh) {
    const ng_vk_device_desc *d = ng_vk_device_desc_get(sh->index);
    char path[1024], dir[900];
    size_t size = 0;
    void *data = d && cache_path(d, path, sizeof path, dir, sizeof dir) ? cache_read(d, path, &size)
                                                                       : NULL;
    VkPipelineCacheCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO,
                                    .initialDataSize = size,
                                    .pInitialData = data};
    if (vkCreatePipelineCache(sh->device, &ci, NULL, &sh->pipeline_cache) != VK_SUCCESS) {
        ci.initialDataSize = 0;
        ci.pInitialData = NULL;
        if (vkCreatePipelineCache(sh->device, &ci, NULL, &sh->pipeline_cache) != VK_SUCCESS)
            sh->pipeline_cache = VK_NULL_HANDLE; /* pipelines still work without one */
    }
    free(data);
    sh->cache_dirty = 0;
}

void ng_vk_pipeline_cache_save(ng_vk_shared *sh) {
    if (!sh->pipeline_cache || !sh->cache_dirty) return;
    const ng_vk_device_desc *d = ng_vk_device_desc_get(sh->index);
    char path[1024], dir[900];
    if (!d || !cache_path(d, path, sizeof path, dir, sizeof dir)) return;
    size_t size = 0;
    if (vkGetPipelineCacheData(sh->device, sh->pipeline_cache, &size, NULL) != VK_SUCCESS || !size)
        return;
    void *data = malloc(size);
    if (!data) return;
    if (vkGetPipelineCacheData(sh->device, sh->pipeline_cache, &size, data) != VK_SUCCESS) {
        free(data);
        return;
    }
    cache_header h;
    header_fill(d, &h);
    h.data_size = size;
    h.data_hash = ng_hash_bytes(NG_HASH_INIT, data, size);
    if (ng_cache_write(dir, path, &h, sizeof h, data, size) != 0)
        fprintf(stderr, "nngpu: warning: could not write the vulkan pipeline cache %s\n", path);
    free(data);
    sh->cache_dirty = 0;
}
