/* The shared OpenCL device: one cl_context and program registry per device
 * and process (as vk_shared.c does for Vulkan). A lock guards the table and
 * the user counts; the first user creates the context, the last releases it
 * with every program built on it. Sessions keep their own command queues. */
#include <stdatomic.h>
#include <stdlib.h>

#include "cl_internal.h"
#include "cl_stats.h"
#include "core/status.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static ng_cl_shared *devices[NG_CL_MAX_DEVICES];
static atomic_int n_open, n_built, n_reused;

void ng_cl_shared_count(int built) { atomic_fetch_add(built ? &n_built : &n_reused, 1); }

ng_cl_share_stats ng_cl_share_stats_get(void) {
    return (ng_cl_share_stats){atomic_load(&n_built), atomic_load(&n_reused), atomic_load(&n_open)};
}

static void destroy(ng_cl_shared *s) {
    ng_cl_programs_release(s);
    if (s->ctx) clReleaseContext(s->ctx);
    pthread_cond_destroy(&s->built);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static nngpu_status create(int index, ng_cl_shared **out) {
    ng_cl_shared *s = calloc(1, sizeof *s);
    if (!s) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "opencl: out of host memory");
    s->index = index;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->built, NULL);
    nngpu_status st = ng_cl_device_get(index, &s->platform, &s->device, &s->info);
    if (st != NNGPU_OK) {
        destroy(s);
        return st;
    }
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)s->platform, 0};
    cl_int err;
    s->ctx = clCreateContext(props, 1, &s->device, NULL, NULL, &err);
    if (err != CL_SUCCESS) {
        st = ng_cl_check(err, "clCreateContext", s->info.name);
        destroy(s);
        return st;
    }
    cl_device_fp_config fp = 0;
    if (clGetDeviceInfo(s->device, CL_DEVICE_SINGLE_FP_CONFIG, sizeof fp, &fp, NULL) == CL_SUCCESS)
        s->fast_fma = (fp & CL_FP_FMA) != 0;
    *out = s;
    return NNGPU_OK;
}

nngpu_status ng_cl_shared_acquire(int index, ng_cl_shared **out) {
    if (index < 0 || index >= NG_CL_MAX_DEVICES)
        return ng_error(NNGPU_ERR_NOT_FOUND, "no opencl device %d", index);
    nngpu_status st = NNGPU_OK;
    pthread_mutex_lock(&lock);
    if (!devices[index]) {
        st = create(index, &devices[index]);
        if (st == NNGPU_OK) atomic_fetch_add(&n_open, 1);
    }
    if (st == NNGPU_OK) {
        devices[index]->users++;
        *out = devices[index];
    }
    pthread_mutex_unlock(&lock);
    return st;
}

void ng_cl_shared_release(ng_cl_shared *s) {
    if (!s) return;
    pthread_mutex_lock(&lock);
    if (--s->users == 0) {
        devices[s->index] = NULL;
        destroy(s);
        atomic_fetch_sub(&n_open, 1);
    }
    pthread_mutex_unlock(&lock);
}
