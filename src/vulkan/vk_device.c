/* Vulkan devices: enumerated once (an instance per probe), their features
 * and limits probed into nngpu_device_info; an instance opened per shared
 * device (vk_shared.c). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "vk_device.h"

#define MAX_DEVICES NG_VK_MAX_DEVICES

static ng_vk_device_desc descs[MAX_DEVICES];
static int n_descs;
static pthread_once_t once = PTHREAD_ONCE_INIT;

nngpu_status ng_vk_instance_create(VkInstance *out) {
    uint32_t api = VK_API_VERSION_1_1;
    PFN_vkEnumerateInstanceVersion ev =
        (PFN_vkEnumerateInstanceVersion)vkGetInstanceProcAddr(NULL, "vkEnumerateInstanceVersion");
    uint32_t have = 0;
    if (ev && ev(&have) == VK_SUCCESS && have >= VK_API_VERSION_1_2) api = VK_API_VERSION_1_2;
    VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                             .pApplicationName = "nngpu",
                             .pEngineName = "nngpu",
                             .apiVersion = api};
    VkInstanceCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                               .pApplicationInfo = &app};
    return ng_vk_check(vkCreateInstance(&ci, NULL, out), "vkCreateInstance", NULL);
}

static int has_ext(const VkExtensionProperties *e, uint32_t n, const char *name) {
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(e[i].extensionName, name) == 0) return 1;
    return 0;
}

static const char *type_name(VkPhysicalDeviceType t) {
    switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "gpu";
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return "cpu";
    default: return "other";
    }
}

static const char *vendor_name(uint32_t id) {
    switch (id) {
    case 0x1002: return "AMD";
    case 0x10DE: return "NVIDIA";
    case 0x8086: return "Intel";
    case 0x13B5: return "ARM";
    case 0x5143: return "Qualcomm";
    case 0x106B: return "Apple";
    case 0x10005: return "Mesa";
    default: return NULL;
    }
}

/* Fills d from phys: properties, features, limits. */
static void probe(VkPhysicalDevice phys, ng_vk_device_desc *d) {
    nngpu_device_info *info = &d->info;
    VkPhysicalDeviceProperties props;
    vkGetPhysicalDeviceProperties(phys, &props);
    uint32_t n_ext = 0;
    vkEnumerateDeviceExtensionProperties(phys, NULL, &n_ext, NULL);
    VkExtensionProperties *ext = calloc(n_ext ? n_ext : 1, sizeof *ext);
    if (ext) vkEnumerateDeviceExtensionProperties(phys, NULL, &n_ext, ext);
    else n_ext = 0;
    int v12 = props.apiVersion >= VK_API_VERSION_1_2;
    int v13 = props.apiVersion >= VK_API_VERSION_1_3;

    /* properties: driver, ids, subgroups */
    VkPhysicalDeviceDriverProperties drv = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
    VkPhysicalDeviceIDProperties idp = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES};
    VkPhysicalDeviceSubgroupProperties sub = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
    VkPhysicalDeviceShaderIntegerDotProductProperties dotp = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_INTEGER_DOT_PRODUCT_PROPERTIES};
    VkPhysicalDeviceProperties2 p2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
    p2.pNext = &idp;
    idp.pNext = &sub;
    void **ptail = &sub.pNext;
    int has_drv = v12 || has_ext(ext, n_ext, VK_KHR_DRIVER_PROPERTIES_EXTENSION_NAME);
    if (has_drv) {
        *ptail = &drv;
        ptail = &drv.pNext;
    }
    int has_dot = v13 || has_ext(ext, n_ext, VK_KHR_SHADER_INTEGER_DOT_PRODUCT_EXTENSION_NAME);
    if (has_dot) *ptail = &dotp;
    vkGetPhysicalDeviceProperties2(phys, &p2);

    /* features */
    VkPhysicalDevice16BitStorageFeatures s16 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES};
    VkPhysicalDevice8BitStorageFeatures s8 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_8BIT_STORAGE_FEATURES};
    VkPhysicalDeviceShaderFloat16Int8Features f16 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES};
    VkPhysicalDeviceShaderIntegerDotProductFeatures dot = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_INTEGER_DOT_PRODUCT_FEATURES};
    VkPhysicalDeviceFeatures2 f2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
    void **tail = &f2.pNext;
    f2.pNext = &s16; /* core in 1.1 */
    tail = &s16.pNext;
    if (v12 || has_ext(ext, n_ext, VK_KHR_8BIT_STORAGE_EXTENSION_NAME)) {
        *tail = &s8;
        tail = &s8.pNext;
    }
    if (v12 || has_ext(ext, n_ext, VK_KHR_SHADER_FLOAT16_INT8_EXTENSION_NAME)) {
        *tail = &f16;
        tail = &f16.pNext;
    }
    if (has_dot) {
        *tail = &dot;
        tail = &dot.pNext;
    }
    vkGetPhysicalDeviceFeatures2(phys, &f2);

    info->backend = NNGPU_BACKEND_VULKAN; /* the tuning DB's device key reads it */
    snprintf(info->name, sizeof info->name, "%.127s", props.deviceName);
    const char *vn = vendor_name(props.vendorID);
    if (vn) snprintf(info->vendor, sizeof info->vendor, "%s", vn);
    else snprintf(info->vendor, sizeof info->vendor, "0x%04x", props.vendorID);
    if (has_drv && drv.driverInfo[0])
        snprintf(info->driver_version, sizeof info->driver_version, "%.63s", drv.driverInfo);
    else
        snprintf(info->driver_version, sizeof info->driver_version, "%u.%u.%u",
                 VK_VERSION_MAJOR(props.driverVersion), VK_VERSION_MINOR(props.driverVersion),
                 VK_VERSION_PATCH(props.driverVersion));
    snprintf(info->device_type, sizeof info->device_type, "%s", type_name(props.deviceType));
    info->compute_units = 0; /* Vulkan does not say */
    VkPhysicalDeviceMemoryProperties mp;
    vkGetPhysicalDeviceMemoryProperties(phys, &mp);
    uint64_t heap = 0;
    for (uint32_t i = 0; i < mp.memoryHeapCount; i++)
        if ((mp.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) && mp.memoryHeaps[i].size > heap)
            heap = mp.memoryHeaps[i].size;
    info->global_mem_bytes = heap;
    info->local_mem_bytes = props.limits.maxComputeSharedMemorySize;
    info->max_work_group_size = props.limits.maxComputeWorkGroupInvocations;
    info->has_fp16 = f16.shaderFloat16 != 0;
    info->has_fp16_storage = s16.storageBuffer16BitAccess != 0;
    info->has_int8_storage = s8.storageBuffer8BitAccess != 0;
    info->has_int8_dot = dot.shaderIntegerDotProduct != 0;
    /* what the quantized _dot shaders use: ng_dot4 on int8 x int8 and int8 x uint8 */
    info->has_int8_dot_accel = info->has_int8_dot &&
                               dotp.integerDotProduct4x8BitPackedSignedAccelerated &&
                               dotp.integerDotProduct4x8BitPackedMixedSignednessAccelerated;
    info->has_cooperative_matrix = has_ext(ext, n_ext, "VK_KHR_cooperative_matrix") ||
                                   has_ext(ext, n_ext, "VK_NV_cooperative_matrix");
    info->has_subgroups = (sub.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) &&
                          (sub.supportedOperations & VK_SUBGROUP_FEATURE_ARITHMETIC_BIT);
    info->subgroup_size = (int)sub.subgroupSize;
    d->subgroup_ops = sub.supportedOperations;
    d->vendor_id = props.vendorID;
    d->device_id = props.deviceID;
    d->driver_version = props.driverVersion;
    memcpy(d->pipeline_cache_uuid, props.pipelineCacheUUID, VK_UUID_SIZE);
    memcpy(d->device_uuid, idp.deviceUUID, VK_UUID_SIZE);
    d->api_version = props.apiVersion;
    free(ext);
}

static void enumerate(void) {
    VkInstance inst;
    if (getenv("NNGPU_VK_DISABLE")) return;
    if (ng_vk_instance_create(&inst) != NNGPU_OK) {
        ng_error_clear();
        return;
    }
    uint32_t n = 0;
    if (vkEnumeratePhysicalDevices(inst, &n, NULL) == VK_SUCCESS && n) {
        VkPhysicalDevice phys[MAX_DEVICES];
        if (n > MAX_DEVICES) n = MAX_DEVICES;
        VkResult r = vkEnumeratePhysicalDevices(inst, &n, phys);
        if (r == VK_SUCCESS || r == VK_INCOMPLETE)
            for (uint32_t i = 0; i < n; i++) {
                VkPhysicalDeviceProperties pr;
                vkGetPhysicalDeviceProperties(phys[i], &pr);
                if (pr.apiVersion < VK_API_VERSION_1_1) continue; /* we need 1.1 */
                probe(phys[i], &descs[n_descs]);
                descs[n_descs].phys_index = i;
                n_descs++;
            }
    }
    vkDestroyInstance(inst, NULL);
}

int ng_vk_device_count(void) {
    pthread_once(&once, enumerate);
    return n_descs;
}

const ng_vk_device_desc *ng_vk_device_desc_get(int index) {
    if (index < 0 || index >= ng_vk_device_count()) return NULL;
    return &descs[index];
}

nngpu_status ng_vk_device_open(int index, VkInstance *inst, VkPhysicalDevice *phys) {
    const ng_vk_device_desc *d = ng_vk_device_desc_get(index);
    if (!d) return ng_error(NNGPU_ERR_NOT_FOUND, "no vulkan device %d", index);
    NG_CHECK(ng_vk_instance_create(inst));
    uint32_t n = 0;
    VkPhysicalDevice all[MAX_DEVICES];
    VkResult r = vkEnumeratePhysicalDevices(*inst, &n, NULL);
    if (r == VK_SUCCESS) {
        if (n > MAX_DEVICES) n = MAX_DEVICES;
        r = vkEnumeratePhysicalDevices(*inst, &n, all);
        if (r == VK_INCOMPLETE) r = VK_SUCCESS;
    }
    if (r != VK_SUCCESS || d->phys_index >= n) {
        vkDestroyInstance(*inst, NULL);
        *inst = VK_NULL_HANDLE;
        return r != VK_SUCCESS ? ng_vk_check(r, "vkEnumeratePhysicalDevices", NULL)
                               : ng_error(NNGPU_ERR_DEVICE, "vulkan device %d disappeared", index);
    }
    *phys = all[d->phys_index];
    return NNGPU_OK;
}

nngpu_status ng_vk_check(VkResult r, const char *what, const char *node_name) {
    if (r == VK_SUCCESS) return NNGPU_OK;
    const char *name;
    nngpu_status s = NNGPU_ERR_DEVICE;
    switch (r) {
    case VK_ERROR_OUT_OF_HOST_MEMORY: name = "VK_ERROR_OUT_OF_HOST_MEMORY"; s = NNGPU_ERR_OUT_OF_MEMORY; break;
    case VK_ERROR_OUT_OF_DEVICE_MEMORY: name = "VK_ERROR_OUT_OF_DEVICE_MEMORY"; s = NNGPU_ERR_OUT_OF_MEMORY; break;
    case VK_ERROR_INITIALIZATION_FAILED: name = "VK_ERROR_INITIALIZATION_FAILED"; break;
    case VK_ERROR_DEVICE_LOST: name = "VK_ERROR_DEVICE_LOST"; break;
    case VK_ERROR_MEMORY_MAP_FAILED: name = "VK_ERROR_MEMORY_MAP_FAILED"; break;
    case VK_ERROR_EXTENSION_NOT_PRESENT: name = "VK_ERROR_EXTENSION_NOT_PRESENT"; break;
    case VK_ERROR_FEATURE_NOT_PRESENT: name = "VK_ERROR_FEATURE_NOT_PRESENT"; break;
    case VK_ERROR_INCOMPATIBLE_DRIVER: name = "VK_ERROR_INCOMPATIBLE_DRIVER"; break;
    case VK_ERROR_TOO_MANY_OBJECTS: name = "VK_ERROR_TOO_MANY_OBJECTS"; break;
    case VK_ERROR_FRAGMENTED_POOL: name = "VK_ERROR_FRAGMENTED_POOL"; s = NNGPU_ERR_OUT_OF_MEMORY; break;
    case VK_ERROR_OUT_OF_POOL_MEMORY: name = "VK_ERROR_OUT_OF_POOL_MEMORY"; s = NNGPU_ERR_OUT_OF_MEMORY; break;
    case VK_ERROR_INVALID_SHADER_NV: name = "VK_ERROR_INVALID_SHADER_NV"; break;
    case VK_TIMEOUT: name = "VK_TIMEOUT"; break;
    default: name = "VkResult"; break;
    }
    if (node_name)
        return ng_error(s, "node '%s': vulkan: %s: %s (%d)", node_name, what, name, (int)r);
    return ng_error(s, "vulkan: %s: %s (%d)", what, name, (int)r);
}
