/* Compute pipelines, made once per context per (shader, specialization
 * constants, bindings, push size), and the VkPipelineCache file:
 * <cache dir>/vk_pipelines_<device uuid>.bin, where the cache dir is
 * $NNGPU_CACHE_DIR, $XDG_CACHE_HOME/nngpu or ~/.cache/nngpu. The file starts
 * with our own header (magic, nngpu version, vendor/device ids, driver
 * version, pipeline-cache and device UUIDs, data size and hash), checked
 * before the data is given to the driver; a file that does not match is
 * ignored with a warning. Written to a temporary name, then renamed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/status.h"
#include "vk_device.h"

struct ng_spirv_file {
    const char *name;
    const uint32_t *words;
    size_t size;
};
extern const struct ng_spirv_file ng_vulkan_spirv[]; /* generated: gen/vulkan_spirv.c */

const uint32_t *ng_vk_spirv(const char *name, size_t *size_bytes) {
    for (int i = 0; ng_vulkan_spirv[i].name; i++)
        if (strcmp(ng_vulkan_spirv[i].name, name) == 0) {
            *size_bytes = ng_vulkan_spirv[i].size;
            return ng_vulkan_spirv[i].words;
        }
    return NULL;
}

#define MAX_SPEC 64

struct ng_vk_pipeline_entry {
    char name[48];
    int n_spec, n_bindings;
    int32_t spec[MAX_SPEC];
    uint32_t push_size;
    VkShaderModule module;
    VkDescriptorSetLayout set_layout;
    VkPipelineLayout layout;
    VkPipeline pipeline;
    ng_vk_pipeline_entry *next;
};

static void entry_destroy(ng_context *c, ng_vk_pipeline_entry *e) {
    if (e->pipeline) vkDestroyPipeline(c->device, e->pipeline, NULL);
    if (e->layout) vkDestroyPipelineLayout(c->device, e->layout, NULL);
    if (e->set_layout) vkDestroyDescriptorSetLayout(c->device, e->set_layout, NULL);
    if (e->module) vkDestroyShaderModule(c->device, e->module, NULL);
    free(e);
}

void ng_vk_pipelines_release(ng_context *c) {
    while (c->pipelines) {
        ng_vk_pipeline_entry *e = c->pipelines;
        c->pipelines = e->next;
        entry_destroy(c, e);
    }
}

static nngpu_status entry_build(ng_context *c, ng_vk_pipeline_entry *e) {
    size_t bytes;
    const uint32_t *code = ng_vk_spirv(e->name, &bytes);
    if (!code) return ng_error(NNGPU_ERR_INTERNAL, "vulkan: no embedded shader '%s'", e->name);
    VkShaderModuleCreateInfo mi = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                   .codeSize = bytes,
                                   .pCode = code};
    NG_CHECK(ng_vk_check(vkCreateShaderModule(c->device, &mi, NULL, &e->module),
                         "vkCreateShaderModule", NULL));
    VkDescriptorSetLayoutBinding b[NG_VK_MAX_BINDINGS];
    for (int i = 0; i < e->n_bindings; i++)
        b[i] = (VkDescriptorSetLayoutBinding){.binding = (uint32_t)i,
                                              .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                              .descriptorCount = 1,
                                              .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT};
    VkDescriptorSetLayoutCreateInfo li = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
                                          .bindingCount = (uint32_t)e->n_bindings,
                                          .pBindings = b};
    NG_CHECK(ng_vk_check(vkCreateDescriptorSetLayout(c->device, &li, NULL, &e->set_layout),
                         "vkCreateDescriptorSetLayout", NULL));
    VkPushConstantRange pr = {.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT, .offset = 0,
                              .size = e->push_size};
    VkPipelineLayoutCreateInfo pli = {.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                      .setLayoutCount = 1,
                                      .pSetLayouts = &e->set_layout,
                                      .pushConstantRangeCount = e->push_size ? 1 : 0,
                                      .pPushConstantRanges = &pr};
    NG_CHECK(ng_vk_check(vkCreatePipelineLayout(c->device, &pli, NULL, &e->layout),
                         "vkCreatePipelineLayout", NULL));
    VkSpecializationMapEntry map[MAX_SPEC];
    for (int i = 0; i < e->n_spec; i++)
        map[i] = (VkSpecializationMapEntry){.constantID = (uint32_t)i,
                                            .offset = (uint32_t)(i * 4),
                                            .size = 4};
    VkSpecializationInfo si = {.mapEntryCount = (uint32_t)e->n_spec,
                               .pMapEntries = map,
                               .dataSize = (size_t)e->n_spec * 4,
                               .pData = e->spec};
    VkComputePipelineCreateInfo ci = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                  .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                  .module = e->module,
                  .pName = "main",
                  .pSpecializationInfo = e->n_spec ? &si : NULL},
        .layout = e->layout};
    char what[96];
    snprintf(what, sizeof what, "creating the pipeline of shader '%s'", e->name);
    NG_CHECK(ng_vk_check(vkCreateComputePipelines(c->device, c->pipeline_cache, 1, &ci, NULL,
                                                  &e->pipeline),
                         what, NULL));
    c->cache_dirty = 1;
    return NNGPU_OK;
}

nngpu_status ng_vk_pipeline_get(ng_context *c, const char *name, const int32_t *spec, int n_spec,
                                int n_bindings, uint32_t push_size, VkPipeline *pipeline,
                                VkPipelineLayout *layout, VkDescriptorSetLayout *set_layout) {
    if (n_spec > MAX_SPEC || n_bindings > NG_VK_MAX_BINDINGS || push_size > NG_VK_MAX_PUSH ||
        push_size > c->limits.maxPushConstantsSize || strlen(name) >= sizeof(((ng_vk_pipeline_entry *)0)->name))
        return ng_error(NNGPU_ERR_INTERNAL,
                        "vulkan: shader '%s': %d constants, %d bindings, %u push bytes: too many",
                        name, n_spec, n_bindings, push_size);
    for (ng_vk_pipeline_entry *e = c->pipelines; e; e = e->next)
        if (e->n_spec == n_spec && e->n_bindings == n_bindings && e->push_size == push_size &&
            strcmp(e->name, name) == 0 &&
            (n_spec == 0 || memcmp(e->spec, spec, (size_t)n_spec * 4) == 0)) {
            *pipeline = e->pipeline;
            *layout = e->layout;
            if (set_layout) *set_layout = e->set_layout;
            return NNGPU_OK;
        }
    ng_vk_pipeline_entry *e = calloc(1, sizeof *e);
    if (!e) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "vulkan: out of host memory");
    snprintf(e->name, sizeof e->name, "%s", name);
    e->n_spec = n_spec;
    if (n_spec) memcpy(e->spec, spec, (size_t)n_spec * 4);
    e->n_bindings = n_bindings;
    e->push_size = push_size;
    nngpu_status s = entry_build(c, e);
    if (s != NNGPU_OK) {
        entry_destroy(c, e);
        return s;
    }
    e->next = c->pipelines;
    c->pipelines = e;
    *pipeline = e->pipeline;
    *layout = e->layout;
    if (set_layout) *set_layout = e->set_layout;
    return NNGPU_OK;
}

/* ---- the cache file -------------------------------------------------------- */

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

static uint64_t fnv1a(const unsigned char *p, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

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
    const char *env = getenv("NNGPU_CACHE_DIR"), *xdg = getenv("XDG_CACHE_HOME"),
               *home = getenv("HOME");
    if (env && !*env) return 0; /* NNGPU_CACHE_DIR="" switches the cache off */
    if (env) snprintf(dir, dcap, "%s", env);
    else if (xdg && *xdg) snprintf(dir, dcap, "%s/nngpu", xdg);
    else if (home && *home) snprintf(dir, dcap, "%s/.cache/nngpu", home);
    else return 0;
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
    else if (fnv1a(data, (size_t)h.data_size) != h.data_hash)
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

void ng_vk_pipeline_cache_open(ng_context *c) {
    const ng_vk_device_desc *d = ng_vk_device_desc_get(c->device_index);
    char path[1024], dir[900];
    size_t size = 0;
    void *data = d && cache_path(d, path, sizeof path, dir, sizeof dir) ? cache_read(d, path, &size)
                                                                       : NULL;
    VkPipelineCacheCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO,
                                    .initialDataSize = size,
                                    .pInitialData = data};
    if (vkCreatePipelineCache(c->device, &ci, NULL, &c->pipeline_cache) != VK_SUCCESS) {
        ci.initialDataSize = 0;
        ci.pInitialData = NULL;
        if (vkCreatePipelineCache(c->device, &ci, NULL, &c->pipeline_cache) != VK_SUCCESS)
            c->pipeline_cache = VK_NULL_HANDLE; /* pipelines still work without one */
    }
    free(data);
    c->cache_dirty = 0;
}

static int mkdirs(const char *dir) {
    char tmp[900];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST) return -1;
            *p = '/';
        }
    return mkdir(tmp, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

void ng_vk_pipeline_cache_save(ng_context *c) {
    if (!c->pipeline_cache || !c->cache_dirty) return;
    const ng_vk_device_desc *d = ng_vk_device_desc_get(c->device_index);
    char path[1024], dir[900], tmp[1100];
    if (!d || !cache_path(d, path, sizeof path, dir, sizeof dir)) return;
    size_t size = 0;
    if (vkGetPipelineCacheData(c->device, c->pipeline_cache, &size, NULL) != VK_SUCCESS || !size)
        return;
    void *data = malloc(size);
    if (!data) return;
    if (vkGetPipelineCacheData(c->device, c->pipeline_cache, &size, data) != VK_SUCCESS) {
        free(data);
        return;
    }
    cache_header h;
    header_fill(d, &h);
    h.data_size = size;
    h.data_hash = fnv1a(data, size);
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    FILE *f = mkdirs(dir) == 0 ? fopen(tmp, "wb") : NULL;
    int ok = f && fwrite(&h, sizeof h, 1, f) == 1 && fwrite(data, 1, size, f) == size;
    if (f && fclose(f) != 0) ok = 0;
    if (ok && rename(tmp, path) != 0) ok = 0;
    if (!ok) {
        if (f) remove(tmp);
        fprintf(stderr, "nngpu: warning: could not write the vulkan pipeline cache %s\n", path);
    }
    free(data);
    c->cache_dirty = 0;
}
