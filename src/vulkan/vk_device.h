/* Vulkan device enumeration (vk_device.c), private to the core files. */
#ifndef NG_VK_DEVICE_H
#define NG_VK_DEVICE_H

#include <pthread.h>

#include "vk_internal.h"

#define NG_VK_MAX_DEVICES 16

typedef struct ng_vk_device_desc {
    nngpu_device_info info;
    uint32_t phys_index;          /* in vkEnumeratePhysicalDevices order */
    uint32_t vendor_id, device_id, driver_version, api_version;
    uint32_t subgroup_ops;        /* VkSubgroupFeatureFlags */
    uint8_t pipeline_cache_uuid[VK_UUID_SIZE];
    uint8_t device_uuid[VK_UUID_SIZE];
} ng_vk_device_desc;

int ng_vk_device_count(void);
const ng_vk_device_desc *ng_vk_device_desc_get(int index);
nngpu_status ng_vk_instance_create(VkInstance *out);
/* A new instance and device `index`'s physical device in it. */
nngpu_status ng_vk_device_open(int index, VkInstance *inst, VkPhysicalDevice *phys);

/* Memory (vk_memory.c). */
nngpu_status ng_vk_memory_init(ng_context *c);
void ng_vk_memory_release(ng_context *c);
/* Byte address of b in a space unique per context (hazard tracking). */
uint64_t ng_vk_buffer_address(const ng_buffer *b);
/* Host pointer of b when its block is mapped, else NULL. */
void *ng_vk_buffer_map(const ng_buffer *b);
nngpu_status ng_vk_transfer(ng_context *c, ng_buffer *b, size_t offset, size_t bytes,
                            void *host, int to_device);
/* The first `bytes` of b written by fill(arg, dst): in place where b maps,
 * else through staging. */
nngpu_status ng_vk_buffer_fill(ng_context *c, ng_buffer *b, size_t bytes,
                               void (*fill)(void *arg, void *dst), void *arg);
/* An error when `bytes` more would pass NNGPU_VK_ALLOC_LIMIT (fault tests). */
nngpu_status ng_vk_alloc_check(const ng_context *c, VkDeviceSize bytes);
/* A buffer in a device allocation of its own, outside the context's blocks
 * (mapped on unified memory): a shared constant's (vk_consts.c). */
nngpu_status ng_vk_solo_buffer_create(ng_context *c, VkDeviceSize bytes, ng_buffer **out);
void ng_vk_solo_buffer_free(VkDevice device, ng_buffer *b);

/* Constants shared by the contexts on a device (vk_consts.c): the buffer
 * made from src (src_bytes) by `recipe` (bytes of it, written by fill), as a
 * view in *out (destroyed by ng_vk_buffer_destroy). The first context to ask
 * makes it; later ones with the same source bytes and recipe take a
 * reference. The device's last reference frees it. */
nngpu_status ng_vk_const_acquire(ng_context *c, const void *src, size_t src_bytes,
                                 const char *recipe, size_t bytes,
                                 void (*fill)(void *arg, void *dst), void *arg, ng_buffer **out);
void ng_vk_const_release(ng_vk_shared *d, ng_vk_const *e);
/* Frees the constants left at device destruction (none: every context
 * releases its own before the device goes). */
void ng_vk_consts_release(ng_vk_shared *d);

/* One device per physical device and process (vk_shared.c), reference
 * counted by the contexts on it: the first context creates it, the last
 * releases it (saving the pipeline cache file). Everything in it is
 * read-only after creation but what the mutexes guard. */
struct ng_vk_shared {
    int index;                    /* N in vulkan:N */
    int users;                    /* contexts on it (under vk_shared.c's lock) */
    nngpu_device_info info;
    VkInstance instance;
    VkPhysicalDevice phys;
    VkDevice device;
    uint32_t queue_family;
    VkQueue queue;
    pthread_mutex_t queue_mu;     /* vkQueueSubmit needs the queue externally synchronized */
    VkPhysicalDeviceLimits limits;
    double timestamp_period_ns;   /* 0: the queue has no timestamps */
    VkPipelineCache pipeline_cache; /* internally synchronized; may be VK_NULL_HANDLE */
    /* The pipeline registry (vk_pipeline.c), under reg_mu; reg_cv: a build ended. */
    pthread_mutex_t reg_mu;
    pthread_cond_t reg_cv;
    ng_vk_pipeline_entry *pipelines;
    int cache_dirty;              /* pipelines compiled since the cache file was read */
    pthread_mutex_t const_mu;     /* the shared constants (vk_consts.c) */
    ng_vk_const *consts;
};

/* The shared device `index`, created on first use (one more user). */
nngpu_status ng_vk_shared_acquire(int index, ng_vk_shared **out);
/* One user less; the last one saves the pipeline cache and destroys it. */
void ng_vk_shared_release(ng_vk_shared *d);
/* Shared devices open now (vk_stats.h). */
int ng_vk_shared_open_count(void);
/* vkQueueSubmit on the shared queue, under its lock. */
VkResult ng_vk_queue_submit(ng_vk_shared *d, const VkSubmitInfo *si, VkFence fence);

/* Pipelines (vk_pipeline.c) and their cache file (vk_pipeline_cache.c). */
void ng_vk_pipeline_cache_open(ng_vk_shared *d);
void ng_vk_pipeline_cache_save(ng_vk_shared *d);
/* The context's compile threads (joined) and its pipeline references. */
void ng_vk_pipelines_release(ng_context *c);
/* Destroys what is left in the registry (with the device). */
void ng_vk_registry_release(ng_vk_shared *d);

/* Commands (vk_command.c). */
nngpu_status ng_vk_commands_init(ng_context *c);
nngpu_status ng_vk_enqueue(ng_context *c, ng_kernel *k);
nngpu_status ng_vk_finish(ng_context *c);
/* Submits cmd and waits for it on the context's fence. */
nngpu_status ng_vk_submit_wait(ng_context *c, VkCommandBuffer cmd, const char *what);
/* Forgets k in the recorded/pending lists (it is being destroyed). */
void ng_vk_forget(ng_context *c, ng_kernel *k);
double ng_vk_kernel_ms(ng_context *c, const ng_kernel *k);

#endif
