/* Vulkan device enumeration (vk_device.c), private to the core files. */
#ifndef NG_VK_DEVICE_H
#define NG_VK_DEVICE_H

#include "vk_internal.h"

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

/* Pipelines (vk_pipeline.c) and their cache file (vk_pipeline_cache.c). */
void ng_vk_pipeline_cache_open(ng_context *c);
void ng_vk_pipeline_cache_save(ng_context *c);
void ng_vk_pipelines_release(ng_context *c);
void ng_vk_pipelines_wait_all(ng_context *c); /* no error: before saving the cache */

/* Commands (vk_command.c). */
nngpu_status ng_vk_commands_init(ng_context *c);
nngpu_status ng_vk_enqueue(ng_context *c, ng_kernel *k);
nngpu_status ng_vk_finish(ng_context *c);
/* Forgets k in the recorded/pending lists (it is being destroyed). */
void ng_vk_forget(ng_context *c, ng_kernel *k);
double ng_vk_kernel_ms(ng_context *c, const ng_kernel *k);

#endif
