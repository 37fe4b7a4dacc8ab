/* The shared device: one VkInstance, VkDevice, compute queue, pipeline cache
 * and pipeline registry per physical device and process, used by every
 * context on that device (a host that embeds nngpu makes its second session
 * without compiling again). A lock guards the table of devices and their
 * user counts; the first user creates a device, the last destroys it after
 * saving the pipeline cache file. */
#include <stdatomic.h>
#include <stdlib.h>

#include "core/status.h"
#include "vk_device.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static ng_vk_shared *devices[NG_VK_MAX_DEVICES];
static atomic_int n_open;

int ng_vk_shared_open_count(void) { return atomic_load(&n_open); }

/* The VkDevice with one compute queue (one with timestamps preferred) and
 * the features the shaders' variants need. */
static nngpu_status open_device(ng_vk_shared *d) {
    uint32_t nq = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(d->phys, &nq, NULL);
    VkQueueFamilyProperties qf[16];
    if (nq > 16) nq = 16;
    vkGetPhysicalDeviceQueueFamilyProperties(d->phys, &nq, qf);
    int fam = -1;
    for (uint32_t i = 0; i < nq; i++) /* prefer a compute queue with timestamps */
        if ((qf[i].queueFlags & VK_QUEUE_COMPUTE_BIT) &&
            (fam < 0 || (qf[fam].timestampValidBits == 0 && qf[i].timestampValidBits)))
            fam = (int)i;
    if (fam < 0)
        return ng_error(NNGPU_ERR_UNSUPPORTED, "vulkan: device '%s' has no compute queue",
                        d->info.name);
    d->queue_family = (uint32_t)fam;
    float prio = 1.0f;
    VkDeviceQueueCreateInfo qi = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                  .queueFamilyIndex = d->queue_family,
                                  .queueCount = 1,
                                  .pQueuePriorities = &prio};
    VkPhysicalDevice16BitStorageFeatures s16 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES,
        .storageBuffer16BitAccess = d->info.has_fp16_storage ? VK_TRUE : VK_FALSE};
    /* 8-bit storage and the integer dot product for the quantized shaders'
     * _i8 / _dot variants: core in 1.2 / 1.3, extensions before */
    const ng_vk_device_desc *desc = ng_vk_device_desc_get(d->index);
    uint32_t api = desc ? desc->api_version : VK_API_VERSION_1_1;
    const char *exts[3];
    uint32_t n_ext = 0;
    VkPhysicalDevice8BitStorageFeatures s8 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_8BIT_STORAGE_FEATURES,
        .storageBuffer8BitAccess = VK_TRUE};
    VkPhysicalDeviceShaderIntegerDotProductFeatures dot = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_INTEGER_DOT_PRODUCT_FEATURES,
        .shaderIntegerDotProduct = VK_TRUE};
    VkPhysicalDeviceShaderFloat16Int8Features f16 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES,
        .shaderFloat16 = VK_TRUE};
    void **tail = &s16.pNext;
    if (d->info.has_fp16) { /* the _h16 shaders' float16 arithmetic */
        *tail = &f16;
        tail = &f16.pNext;
        if (api < VK_API_VERSION_1_2) exts[n_ext++] = VK_KHR_SHADER_FLOAT16_INT8_EXTENSION_NAME;
    }
    if (d->info.has_int8_storage) {
        *tail = &s8;
        tail = &s8.pNext;
        if (api < VK_API_VERSION_1_2) exts[n_ext++] = VK_KHR_8BIT_STORAGE_EXTENSION_NAME;
    }
    if (d->info.has_int8_dot) {
        *tail = &dot;
        tail = &dot.pNext;
        if (api < VK_API_VERSION_1_3)
            exts[n_ext++] = VK_KHR_SHADER_INTEGER_DOT_PRODUCT_EXTENSION_NAME;
    }
    VkDeviceCreateInfo di = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                             .pNext = &s16,
                             .queueCreateInfoCount = 1,
                             .pQueueCreateInfos = &qi,
                             .enabledExtensionCount = n_ext,
                             .ppEnabledExtensionNames = n_ext ? exts : NULL};
    NG_CHECK(ng_vk_check(vkCreateDevice(d->phys, &di, NULL, &d->device), "vkCreateDevice", NULL));
    vkGetDeviceQueue(d->device, d->queue_family, 0, &d->queue);
    VkPhysicalDeviceProperties props;
    vkGetPhysicalDeviceProperties(d->phys, &props);
    d->limits = props.limits;
    d->timestamp_period_ns =
        qf[fam].timestampValidBits ? (double)props.limits.timestampPeriod : 0.0;
    return NNGPU_OK;
}

static void destroy(ng_vk_shared *d) {
    if (d->device) {
        vkDeviceWaitIdle(d->device); /* no user left: nobody else touches the queue */
        ng_vk_pipeline_cache_save(d);
        ng_vk_registry_release(d);
        ng_vk_consts_release(d);
        if (d->pipeline_cache) vkDestroyPipelineCache(d->device, d->pipeline_cache, NULL);
        vkDestroyDevice(d->device, NULL);
    }
    if (d->instance) vkDestroyInstance(d->instance, NULL);
    pthread_cond_destroy(&d->reg_cv);
    pthread_mutex_destroy(&d->reg_mu);
    pthread_mutex_destroy(&d->queue_mu);
    pthread_mutex_destroy(&d->const_mu);
    free(d);
}

static nngpu_status create(int index, ng_vk_shared **out) {
    const ng_vk_device_desc *desc = ng_vk_device_desc_get(index);
    if (!desc) return ng_error(NNGPU_ERR_NOT_FOUND, "no vulkan device %d", index);
    ng_vk_shared *d = calloc(1, sizeof *d);
    if (!d) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "vulkan: out of host memory");
    d->index = index;
    d->info = desc->info;
    pthread_mutex_init(&d->queue_mu, NULL);
    pthread_mutex_init(&d->reg_mu, NULL);
    pthread_mutex_init(&d->const_mu, NULL);
    pthread_cond_init(&d->reg_cv, NULL);
    nngpu_status s = ng_vk_device_open(index, &d->instance, &d->phys);
    if (s == NNGPU_OK) s = open_device(d);
    if (s != NNGPU_OK) {
        destroy(d);
        return s;
    }
    ng_vk_pipeline_cache_open(d);
    *out = d;
    return NNGPU_OK;
}

nngpu_status ng_vk_shared_acquire(int index, ng_vk_shared **out) {
    if (index < 0 || index >= NG_VK_MAX_DEVICES)
        return ng_error(NNGPU_ERR_NOT_FOUND, "no vulkan device %d", index);
    nngpu_status s = NNGPU_OK;
    pthread_mutex_lock(&lock);
    if (!devices[index]) {
        s = create(index, &devices[index]);
        if (s == NNGPU_OK) atomic_fetch_add(&n_open, 1);
    }
    if (s == NNGPU_OK) {
        devices[index]->users++;
        *out = devices[index];
    }
    pthread_mutex_unlock(&lock);
    return s;
}

void ng_vk_shared_release(ng_vk_shared *d) {
    if (!d) return;
    pthread_mutex_lock(&lock); /* held while destroying: a new device reads the saved cache */
    if (--d->users == 0) {
        devices[d->index] = NULL;
        destroy(d);
        atomic_fetch_sub(&n_open, 1);
    }
    pthread_mutex_unlock(&lock);
}

VkResult ng_vk_queue_submit(ng_vk_shared *d, const VkSubmitInfo *si, VkFence fence) {
    pthread_mutex_lock(&d->queue_mu);
    VkResult r = vkQueueSubmit(d->queue, 1, si, fence);
    pthread_mutex_unlock(&d->queue_mu);
    return r;
}
