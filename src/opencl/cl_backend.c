/* The OpenCL backend: contexts, buffers, and layers dispatched to the
 * kernel families of cl_families.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_internal.h"
#include "core/status.h"
#include "graph/half_view.h"

static int cl_device_count(void) { return ng_cl_device_count(); }

static nngpu_status cl_get_device_info(int index, nngpu_device_info *out) {
    return ng_cl_device_get(index, NULL, NULL, out);
}

static void cl_context_destroy(ng_context *c) {
    if (!c) return;
    if (c->queue) clReleaseCommandQueue(c->queue);
    ng_cl_shared_release(c->shared);
    free(c);
}

/* A session's context: the device's shared cl_context and programs
 * (cl_shared.c), its own queue and options. */
static nngpu_status cl_context_create(int index, const nngpu_options *o, ng_context **out) {
    ng_context *c = calloc(1, sizeof *c);
    if (!c) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "opencl: out of host memory");
    nngpu_status s = ng_cl_shared_acquire(index, &c->shared);
    if (s != NNGPU_OK) {
        free(c);
        return s;
    }
    c->platform = c->shared->platform;
    c->device = c->shared->device;
    c->ctx = c->shared->ctx;
    c->info = c->shared->info;
    c->fast_fma = c->shared->fast_fma;
    if (o)
        c->opts = *o;
    else
        nngpu_options_init(&c->opts);
    const char *storage = getenv("NNGPU_OPENCL_FP16_STORAGE");
    c->fp16_ok = c->info.has_fp16 || (storage && strcmp(storage, "1") == 0);
    cl_command_queue_properties qp = c->opts.profiling ? CL_QUEUE_PROFILING_ENABLE : 0;
    c->can_profile = c->opts.profiling;
    cl_int err;
    c->queue = clCreateCommandQueue(c->ctx, c->device, qp, &err);
    if (err != CL_SUCCESS) {
        s = ng_cl_check(err, "clCreateCommandQueue", c->info.name);
        cl_context_destroy(c);
        return s;
    }
    *out = c;
    return NNGPU_OK;
}

static nngpu_status cl_buffer_create(ng_context *c, size_t bytes, ng_buffer **out) {
    ng_buffer *b = calloc(1, sizeof *b);
    if (!b) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "opencl: out of host memory");
    cl_int err;
    b->mem = clCreateBuffer(c->ctx, CL_MEM_READ_WRITE, bytes ? bytes : 4, NULL, &err);
    if (err != CL_SUCCESS) {
        free(b);
        char what[64];
        snprintf(what, sizeof what, "allocating %zu bytes", bytes);
        return ng_cl_check(err, what, NULL);
    }
    b->size = bytes;
    *out = b;
    return NNGPU_OK;
}

static void cl_buffer_destroy(ng_context *c, ng_buffer *b) {
    (void)c;
    if (!b) return;
    if (b->mem) clReleaseMemObject(b->mem);
    free(b);
}

static nngpu_status check_range(const ng_buffer *b, size_t offset, size_t bytes) {
    if (offset > b->size || bytes > b->size - offset)
        return ng_error(NNGPU_ERR_INVALID_ARG,
                        "opencl: transfer of %zu bytes at %zu outside a %zu-byte buffer", bytes,
                        offset, b->size);
    return NNGPU_OK;
}

static nngpu_status cl_buffer_write(ng_context *c, ng_buffer *b, size_t offset, size_t bytes,
                                    const void *src) {
    NG_CHECK(check_range(b, offset, bytes));
    if (!bytes) return NNGPU_OK;
    return ng_cl_check(
        clEnqueueWriteBuffer(c->queue, b->mem, CL_TRUE, offset, bytes, src, 0, NULL, NULL),
        "writing a buffer", NULL);
}

static nngpu_status cl_buffer_read(ng_context *c, ng_buffer *b, size_t offset, size_t bytes,
                                   void *dst) {
    NG_CHECK(check_range(b, offset, bytes));
    if (!bytes) return NNGPU_OK;
    return ng_cl_check(
        clEnqueueReadBuffer(c->queue, b->mem, CL_TRUE, offset, bytes, dst, 0, NULL, NULL),
        "reading a buffer", NULL);
}

static const ng_cl_family *family_of(ng_context *c, const ng_graph *g, const ng_node *n) {
    for (int i = 0; ng_cl_families[i]; i++)
        if (ng_cl_families[i]->supports(c, g, n)) return ng_cl_families[i];
    return NULL;
}

/* ---- fp16 layers ---------------------------------------------------------
 * An fp16 layer (every float tensor FLOAT16; Cast has its own family) runs
 * the float32 family on its float32 view with c->half set: -DNG_F16=1
 * programs (half storage, float arithmetic), offsets in half elements,
 * float constants uploaded as half. */

/* With constants converted: supports() may read them (Resize scales, Clip bounds). */
static const ng_cl_family *half_family_of(ng_context *c, const ng_graph *g, const ng_node *n) {
    if (!c->fp16_ok || !ng_node_all_half(g, n)) return NULL;
    ng_half_view v;
    if (ng_half_view_init(&v, g, n, 1) != NNGPU_OK) return NULL;
    c->half = 1;
    const ng_cl_family *f = family_of(c, &v.g, n);
    c->half = 0;
    ng_half_view_free(&v);
    return f && ng_family_has_half(f->name) ? f : NULL;
}

static int cl_node_supported(ng_context *c, const ng_graph *g, const ng_node *n) {
    if (ng_node_is_half_layer(g, n)) return half_family_of(c, g, n) != NULL;
    return family_of(c, g, n) != NULL;
}

static void cl_kernel_destroy(ng_context *c, ng_kernel *k) {
    (void)c;
    if (!k) return;
    for (int i = 0; i < k->n_launches; i++) {
        if (k->launch[i].kernel) clReleaseKernel(k->launch[i].kernel);
        if (k->launch[i].event) clReleaseEvent(k->launch[i].event);
    }
    for (int i = 0; i < k->n_owned; i++)
        if (k->owned[i]) clReleaseMemObject(k->owned[i]);
    if (k->custom_event) clReleaseEvent(k->custom_event);
    free(k->custom_state);
    free(k);
}

static nngpu_status cl_node_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                    const ng_binding *bind, ng_kernel **out) {
    int half = ng_node_is_half_layer(g, n);
    const ng_cl_family *f = half ? half_family_of(c, g, n) : family_of(c, g, n);
    if (!f)
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': %s%s is not supported by opencl",
                        n->name ? n->name : "?", ng_op_name(n->op), half ? " (fp16)" : "");
    ng_half_view v;
    if (half) NG_CHECK(ng_half_view_init(&v, g, n, 1));
    ng_kernel *k = calloc(1, sizeof *k);
    if (!k) {
        if (half) ng_half_view_free(&v);
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "opencl: out of host memory");
    }
    snprintf(k->node_name, sizeof k->node_name, "%s", n->name ? n->name : "?");
    snprintf(k->name, sizeof k->name, "%s", f->name);
    k->params_source = "default";
    ng_params_scope_begin(c->opts.params_override, &k->tuning);
    c->half = half;
    nngpu_status s = f->prepare(c, half ? &v.g : g, n, bind, k);
    c->half = 0;
    if (half) {
        ng_half_view_free(&v);
        if (strlen(k->name) + 4 < sizeof k->name) strcat(k->name, ":f16");
    }
    ng_params_scope_end();
    if (s != NNGPU_OK) {
        cl_kernel_destroy(c, k);
        return s;
    }
    *out = k;
    return NNGPU_OK;
}

static nngpu_status cl_kernel_enqueue(ng_context *c, ng_kernel *k) {
    int prof = c->opts.profiling;
    if (k->custom_enqueue) {
        if (k->custom_event) {
            clReleaseEvent(k->custom_event);
            k->custom_event = NULL;
        }
        return k->custom_enqueue(c, k, prof ? &k->custom_event : NULL);
    }
    for (int i = 0; i < k->n_launches; i++) {
        ng_cl_launch *l = &k->launch[i];
        if (l->event) {
            clReleaseEvent(l->event);
            l->event = NULL;
        }
        cl_int err = clEnqueueNDRangeKernel(c->queue, l->kernel, l->dims, NULL, l->global,
                                            l->use_local ? l->local : NULL, 0, NULL,
                                            prof ? &l->event : NULL);
        if (err != CL_SUCCESS) {
            char what[160];
            snprintf(what, sizeof what, "launching %s", k->name);
            return ng_cl_check(err, what, k->node_name);
        }
    }
    return NNGPU_OK;
}

static const char *cl_kernel_name(const ng_kernel *k) { return k->name; }

static const char *cl_kernel_params_source(const ng_kernel *k) {
    return k->params_source ? k->params_source : "default";
}

static const ng_params_record *cl_kernel_params(const ng_kernel *k) { return &k->tuning; }

static nngpu_status cl_finish(ng_context *c) {
    return ng_cl_check(clFinish(c->queue), "clFinish", NULL);
}

static double event_ms(cl_event e) {
    cl_ulong t0 = 0, t1 = 0;
    if (clGetEventProfilingInfo(e, CL_PROFILING_COMMAND_START, sizeof t0, &t0, NULL) !=
            CL_SUCCESS ||
        clGetEventProfilingInfo(e, CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL) != CL_SUCCESS)
        return -1.0;
    return (double)(t1 - t0) * 1e-6;
}

static double cl_kernel_time_ms(ng_context *c, const ng_kernel *k) {
    if (!c->opts.profiling) return -1.0;
    double total = 0.0;
    int any = 0;
    cl_event evs[NG_CL_MAX_LAUNCHES + 1];
    int n = 0;
    for (int i = 0; i < k->n_launches; i++)
        if (k->launch[i].event) evs[n++] = k->launch[i].event;
    if (k->custom_event) evs[n++] = k->custom_event;
    for (int i = 0; i < n; i++) {
        double t = event_ms(evs[i]);
        if (t < 0) return -1.0;
        total += t;
        any = 1;
    }
    return any ? total : -1.0;
}

static size_t cl_weight_bytes(const ng_context *c) { return c->weight_bytes; }

static void cl_set_profiling(ng_context *c, int on) { c->opts.profiling = on && c->can_profile; }

const ng_backend ng_backend_opencl = {
    .name = "opencl",
    .kind = NNGPU_BACKEND_OPENCL,
    .device_count = cl_device_count,
    .device_info = cl_get_device_info,
    .context_create = cl_context_create,
    .context_destroy = cl_context_destroy,
    .buffer_create = cl_buffer_create,
    .buffer_destroy = cl_buffer_destroy,
    .buffer_write = cl_buffer_write,
    .buffer_read = cl_buffer_read,
    .node_supported = cl_node_supported,
    .node_prepare = cl_node_prepare,
    .kernel_enqueue = cl_kernel_enqueue,
    .kernel_destroy = cl_kernel_destroy,
    .kernel_name = cl_kernel_name,
    .kernel_params_source = cl_kernel_params_source,
    .kernel_params = cl_kernel_params,
    .finish = cl_finish,
    .kernel_time_ms = cl_kernel_time_ms,
    .weight_bytes = cl_weight_bytes,
    .set_profiling = cl_set_profiling,
};
