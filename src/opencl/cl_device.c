/* OpenCL devices: every platform's devices, enumerated once; their
 * nngpu_device_info; the CL error names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CL/cl_ext.h>

#include "cl_internal.h"
#include "core/status.h"

static struct {
    int n;
    cl_platform_id platform[NG_CL_MAX_DEVICES];
    cl_device_id device[NG_CL_MAX_DEVICES];
} devices;

const char *ng_cl_error_name(cl_int err) {
    switch (err) {
#define E(x) case x: return #x;
    E(CL_SUCCESS) E(CL_DEVICE_NOT_FOUND) E(CL_DEVICE_NOT_AVAILABLE) E(CL_COMPILER_NOT_AVAILABLE)
    E(CL_MEM_OBJECT_ALLOCATION_FAILURE) E(CL_OUT_OF_RESOURCES) E(CL_OUT_OF_HOST_MEMORY)
    E(CL_PROFILING_INFO_NOT_AVAILABLE) E(CL_MEM_COPY_OVERLAP) E(CL_BUILD_PROGRAM_FAILURE)
    E(CL_MAP_FAILURE) E(CL_MISALIGNED_SUB_BUFFER_OFFSET) E(CL_COMPILE_PROGRAM_FAILURE)
    E(CL_LINKER_NOT_AVAILABLE) E(CL_LINK_PROGRAM_FAILURE) E(CL_INVALID_VALUE)
    E(CL_INVALID_DEVICE_TYPE) E(CL_INVALID_PLATFORM) E(CL_INVALID_DEVICE) E(CL_INVALID_CONTEXT)
    E(CL_INVALID_QUEUE_PROPERTIES) E(CL_INVALID_COMMAND_QUEUE) E(CL_INVALID_HOST_PTR)
    E(CL_INVALID_MEM_OBJECT) E(CL_INVALID_BINARY) E(CL_INVALID_BUILD_OPTIONS)
    E(CL_INVALID_PROGRAM) E(CL_INVALID_PROGRAM_EXECUTABLE) E(CL_INVALID_KERNEL_NAME)
    E(CL_INVALID_KERNEL_DEFINITION) E(CL_INVALID_KERNEL) E(CL_INVALID_ARG_INDEX)
    E(CL_INVALID_ARG_VALUE) E(CL_INVALID_ARG_SIZE) E(CL_INVALID_KERNEL_ARGS)
    E(CL_INVALID_WORK_DIMENSION) E(CL_INVALID_WORK_GROUP_SIZE) E(CL_INVALID_WORK_ITEM_SIZE)
    E(CL_INVALID_GLOBAL_OFFSET) E(CL_INVALID_EVENT_WAIT_LIST) E(CL_INVALID_EVENT)
    E(CL_INVALID_OPERATION) E(CL_INVALID_BUFFER_SIZE) E(CL_INVALID_GLOBAL_WORK_SIZE)
    E(CL_INVALID_PROPERTY)
#undef E
    default: return "CL_UNKNOWN_ERROR";
    }
}

nngpu_status ng_cl_check(cl_int err, const char *what, const char *node_name) {
    if (err == CL_SUCCESS) return NNGPU_OK;
    nngpu_status s = (err == CL_MEM_OBJECT_ALLOCATION_FAILURE || err == CL_OUT_OF_RESOURCES ||
                      err == CL_OUT_OF_HOST_MEMORY)
                         ? NNGPU_ERR_OUT_OF_MEMORY
                         : NNGPU_ERR_DEVICE;
    if (node_name && *node_name)
        return ng_error(s, "node '%s': %s: %s (%d)", node_name, what, ng_cl_error_name(err),
                        (int)err);
    return ng_error(s, "opencl: %s: %s (%d)", what, ng_cl_error_name(err), (int)err);
}

static pthread_once_t enumerated = PTHREAD_ONCE_INIT; /* sessions may start on several threads */

static void enumerate_once(void) {
    cl_platform_id plats[8];
    cl_uint np = 0;
    if (clGetPlatformIDs(8, plats, &np) != CL_SUCCESS) return;
    if (np > 8) np = 8;
    for (cl_uint p = 0; p < np; p++) {
        cl_device_id devs[NG_CL_MAX_DEVICES];
        cl_uint nd = 0;
        if (clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, NG_CL_MAX_DEVICES, devs, &nd) !=
            CL_SUCCESS)
            continue;
        if (nd > NG_CL_MAX_DEVICES) nd = NG_CL_MAX_DEVICES;
        for (cl_uint d = 0; d < nd && devices.n < NG_CL_MAX_DEVICES; d++) {
            devices.platform[devices.n] = plats[p];
            devices.device[devices.n++] = devs[d];
        }
    }
}

static void enumerate(void) { pthread_once(&enumerated, enumerate_once); }

int ng_cl_device_count(void) {
    enumerate();
    return devices.n;
}

static void get_string(cl_device_id d, cl_device_info what, char *out, size_t cap) {
    out[0] = '\0';
    if (clGetDeviceInfo(d, what, cap, out, NULL) != CL_SUCCESS) out[0] = '\0';
    out[cap - 1] = '\0';
}

static void fill_info(int index, cl_device_id d, nngpu_device_info *info) {
    memset(info, 0, sizeof *info);
    info->index = index;
    info->backend = NNGPU_BACKEND_OPENCL;
    info->backend_index = index;
    snprintf(info->selector, sizeof info->selector, "opencl:%d", index);
    get_string(d, CL_DEVICE_NAME, info->name, sizeof info->name);
    get_string(d, CL_DEVICE_VENDOR, info->vendor, sizeof info->vendor);
    get_string(d, CL_DRIVER_VERSION, info->driver_version, sizeof info->driver_version);
    cl_device_type type = 0;
    clGetDeviceInfo(d, CL_DEVICE_TYPE, sizeof type, &type, NULL);
    const char *t = (type & CL_DEVICE_TYPE_GPU)           ? "gpu"
                    : (type & CL_DEVICE_TYPE_CPU)         ? "cpu"
                    : (type & CL_DEVICE_TYPE_ACCELERATOR) ? "accelerator"
                                                          : "other";
    snprintf(info->device_type, sizeof info->device_type, "%s", t);
    cl_uint cu = 0;
    clGetDeviceInfo(d, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof cu, &cu, NULL);
    info->compute_units = (int)cu;
    cl_ulong gm = 0, lm = 0;
    clGetDeviceInfo(d, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof gm, &gm, NULL);
    clGetDeviceInfo(d, CL_DEVICE_LOCAL_MEM_SIZE, sizeof lm, &lm, NULL);
    info->global_mem_bytes = gm;
    info->local_mem_bytes = lm;
    size_t wg = 0;
    clGetDeviceInfo(d, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof wg, &wg, NULL);
    info->max_work_group_size = wg;
    size_t ext_len = 0;
    if (clGetDeviceInfo(d, CL_DEVICE_EXTENSIONS, 0, NULL, &ext_len) == CL_SUCCESS && ext_len) {
        char *ext = malloc(ext_len + 1);
        if (ext && clGetDeviceInfo(d, CL_DEVICE_EXTENSIONS, ext_len, ext, NULL) == CL_SUCCESS) {
            ext[ext_len] = '\0';
            info->has_fp16 = strstr(ext, "cl_khr_fp16") != NULL;
            info->has_int8_dot = strstr(ext, "cl_khr_integer_dot_product") != NULL;
            info->has_subgroups =
                strstr(ext, "cl_khr_subgroups") || strstr(ext, "cl_intel_subgroups");
        }
        free(ext);
    }
    cl_device_integer_dot_product_acceleration_properties_khr acc;
    if (info->has_int8_dot &&
        clGetDeviceInfo(d, CL_DEVICE_INTEGER_DOT_PRODUCT_ACCELERATION_PROPERTIES_4x8BIT_PACKED_KHR,
                        sizeof acc, &acc, NULL) == CL_SUCCESS)
        info->has_int8_dot_accel = acc.signed_accelerated && acc.mixed_signedness_accelerated;
}

nngpu_status ng_cl_device_get(int index, cl_platform_id *platform, cl_device_id *device,
                              nngpu_device_info *info) {
    enumerate();
    if (index < 0 || index >= devices.n)
        return ng_error(NNGPU_ERR_NOT_FOUND, "opencl: no device %d (%d found)", index,
                        devices.n);
    if (platform) *platform = devices.platform[index];
    if (device) *device = devices.device[index];
    if (info) fill_info(index, devices.device[index], info);
    return NNGPU_OK;
}
