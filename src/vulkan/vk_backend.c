/* The Vulkan backend: contexts (on the process's shared device, vk_shared.c:
 * their own memory, command buffers and fence), buffers, and layers
 * dispatched to the kernel families of vk_families.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "graph/half_view.h"
#include "vk_device.h"

static int vk_device_count(void) { return ng_vk_device_count(); }

static nngpu_status vk_device_info(int index, nngpu_device_info *out) {
    const ng_vk_device_desc *d = ng_vk_device_desc_get(index);
    if (!d) return ng_error(NNGPU_ERR_NOT_FOUND, "no vulkan device %d", index);
    *out = d->info;
    return NNGPU_OK;
}

/* The context's own objects, then its use of the shared device. Its work
 * has always been waited for, but after a failed wait. */
static void vk_context_destroy(ng_context *c) {
    if (!c) return;
    if (c->shared) {
        if (c->in_flight) vkWaitForFences(c->device, 1, &c->fence, VK_TRUE, UINT64_MAX);
        ng_vk_pipelines_release(c);
        ng_vk_memory_release(c);
        if (c->timestamps) vkDestroyQueryPool(c->device, c->timestamps, NULL);
        if (c->fence) vkDestroyFence(c->device, c->fence, NULL);
        if (c->cmd_pool) vkDestroyCommandPool(c->device, c->cmd_pool, NULL);
        ng_vk_shared_release(c->shared);
    }
    free(c->pending);
    free(c->recorded);
    free(c);
}

/* fp16 layers compute in half (the _h16 shaders) on a device with
 * shaderFloat16 and 16-bit storage when NNGPU_VULKAN_FP16_MATH=1, or unset on
 * a GPU; otherwise (=0, a CPU device such as lavapipe, which emulates half
 * arithmetic slower than float: bench/README.md) in float32 (_f16). */
static int half_math_on(const ng_context *c) {
    const char *env = getenv("NNGPU_VULKAN_FP16_MATH");
    if (!c->info.has_fp16 || !c->info.has_fp16_storage || (env && !strcmp(env, "0"))) return 0;
    return (env && !strcmp(env, "1")) || strcmp(c->info.device_type, "gpu") == 0;
}

static nngpu_status vk_context_create(int index, const nngpu_options *o, ng_context **out) {
    ng_context *c = calloc(1, sizeof *c);
    if (!c) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "vulkan: out of host memory");
    c->device_index = index;
    if (o)
        c->opts = *o;
    else
        nngpu_options_init(&c->opts);
    c->can_profile = c->opts.profiling;
    nngpu_status s = ng_vk_shared_acquire(index, &c->shared);
    if (s == NNGPU_OK) {
        const ng_vk_shared *d = c->shared;
        c->info = d->info;
        c->phys = d->phys;
        c->device = d->device;
        c->queue_family = d->queue_family;
        c->limits = d->limits;
        c->timestamp_period_ns = d->timestamp_period_ns;
        c->half_math = half_math_on(c);
        s = ng_vk_memory_init(c);
    }
    if (s == NNGPU_OK) s = ng_vk_commands_init(c);
    if (s != NNGPU_OK) {
        vk_context_destroy(c);
        return s;
    }
    *out = c;
    return NNGPU_OK;
}

static nngpu_status vk_buffer_create(ng_context *c, size_t bytes, ng_buffer **out) {
    return ng_vk_buffer_create(c, bytes, out);
}

static void vk_buffer_destroy(ng_context *c, ng_buffer *b) { ng_vk_buffer_destroy(c, b); }

static nngpu_status check_range(const ng_buffer *b, size_t offset, size_t bytes) {
    if (offset > b->size || bytes > b->size - offset)
        return ng_error(NNGPU_ERR_INVALID_ARG,
                        "vulkan: transfer of %zu bytes at %zu outside a %zu-byte buffer", bytes,
                        offset, (size_t)b->size);
    return NNGPU_OK;
}

static nngpu_status vk_buffer_write(ng_context *c, ng_buffer *b, size_t offset, size_t bytes,
                                    const void *src) {
    NG_CHECK(check_range(b, offset, bytes));
    return ng_vk_transfer(c, b, offset, bytes, (void *)src, 1);
}

static nngpu_status vk_buffer_read(ng_context *c, ng_buffer *b, size_t offset, size_t bytes,
                                   void *dst) {
    NG_CHECK(check_range(b, offset, bytes));
    return ng_vk_transfer(c, b, offset, bytes, dst, 0);
}

static int vk_half_arithmetic(const ng_context *c) { return c->half_math; }

static const ng_vk_family *family_of(ng_context *c, const ng_graph *g, const ng_node *n) {
    for (int i = 0; ng_vk_families[i]; i++)
        if (ng_vk_families[i]->supports(c, g, n)) return ng_vk_families[i];
    return NULL;
}

/* An fp16 layer (every float tensor FLOAT16; Cast has its own family) runs
 * the float32 family on its float32 view with the _f16 shaders; constants
 * converted, since supports() may read them (Clip bounds, Resize scales). */
static const ng_vk_family *half_family_of(ng_context *c, const ng_graph *g, const ng_node *n) {
    if (!c->info.has_fp16_storage || !ng_node_all_half(g, n)) return NULL;
    ng_half_view v;
    if (ng_half_view_init(&v, g, n, 1) != NNGPU_OK) return NULL;
    c->half = NG_VK_HALF_STORAGE;
    const ng_vk_family *f = family_of(c, &v.g, n);
    c->half = 0;
    ng_half_view_free(&v);
    return f && ng_family_has_half(f->name) ? f : NULL;
}

static int vk_node_supported(ng_context *c, const ng_graph *g, const ng_node *n) {
    if (ng_node_is_half_layer(g, n)) return half_family_of(c, g, n) != NULL;
    return family_of(c, g, n) != NULL;
}

static void vk_kernel_destroy(ng_context *c, ng_kernel *k) {
    if (!k) return;
    ng_vk_forget(c, k);
    if (k->desc_pool) vkDestroyDescriptorPool(c->device, k->desc_pool, NULL);
    for (int i = 0; i < k->n_owned; i++) ng_vk_buffer_destroy(c, k->owned[i]);
    free(k);
}

static nngpu_status vk_node_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                    const ng_binding *bind, ng_kernel **out) {
    int half = ng_node_is_half_layer(g, n);
    const ng_vk_family *f = half ? half_family_of(c, g, n) : family_of(c, g, n);
    ng_half_view v;
    if (f && half) NG_CHECK(ng_half_view_init(&v, g, n, 1));
    if (!f)
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': %s is not supported by vulkan",
                        n->name ? n->name : "?", ng_op_name(n->op));
    ng_kernel *k = calloc(1, sizeof *k);
    if (!k) {
        if (half) ng_half_view_free(&v);
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "vulkan: out of host memory");
    }
    snprintf(k->node_name, sizeof k->node_name, "%s", n->name ? n->name : "?");
    snprintf(k->name, sizeof k->name, "%s", f->name);
    k->params_source = "default";
    k->last_ms = -1.0;
    ng_params_scope_begin(c->opts.params_override, &k->tuning);
    c->half = !half ? 0 : c->half_math ? NG_VK_HALF_MATH : NG_VK_HALF_STORAGE;
    nngpu_status s = f->prepare(c, half ? &v.g : g, n, bind, k);
    c->half = 0;
    if (half) {
        ng_half_view_free(&v);
        const char *tag = c->half_math ? ":f16math" : ":f16";
        if (strlen(k->name) + strlen(tag) < sizeof k->name) strcat(k->name, tag);
    }
    ng_params_scope_end();
    if (s != NNGPU_OK) {
        vk_kernel_destroy(c, k);
        return s;
    }
    *out = k;
    return NNGPU_OK;
}

static nngpu_status vk_prepare_done(ng_context *c) { return ng_vk_pipelines_wait(c); }

static nngpu_status vk_kernel_enqueue(ng_context *c, ng_kernel *k) { return ng_vk_enqueue(c, k); }

static const char *vk_kernel_name(const ng_kernel *k) { return k->name; }

static const ng_params_record *vk_kernel_params(const ng_kernel *k) { return &k->tuning; }

static const char *vk_kernel_params_source(const ng_kernel *k) {
    return k->params_source ? k->params_source : "default";
}

static nngpu_status vk_finish(ng_context *c) { return ng_vk_finish(c); }

static double vk_kernel_time_ms(ng_context *c, const ng_kernel *k) { return ng_vk_kernel_ms(c, k); }

static size_t vk_weight_bytes(const ng_context *c) { return c->weight_bytes; }

/* The recorded command buffer holds timestamp writes or not: finish()
 * re-records when the setting differs from the recording's. */
static void vk_set_profiling(ng_context *c, int on) { c->opts.profiling = on && c->can_profile; }

const ng_backend ng_backend_vulkan = {
    .name = "vulkan",
    .kind = NNGPU_BACKEND_VULKAN,
    .device_count = vk_device_count,
    .device_info = vk_device_info,
    .context_create = vk_context_create,
    .context_destroy = vk_context_destroy,
    .buffer_create = vk_buffer_create,
    .buffer_destroy = vk_buffer_destroy,
    .buffer_write = vk_buffer_write,
    .buffer_read = vk_buffer_read,
    .node_supported = vk_node_supported,
    .node_prepare = vk_node_prepare,
    .prepare_done = vk_prepare_done,
    .kernel_enqueue = vk_kernel_enqueue,
    .kernel_destroy = vk_kernel_destroy,
    .kernel_name = vk_kernel_name,
    .kernel_params_source = vk_kernel_params_source,
    .kernel_params = vk_kernel_params,
    .finish = vk_finish,
    .kernel_time_ms = vk_kernel_time_ms,
    .weight_bytes = vk_weight_bytes,
    .set_profiling = vk_set_profiling,
    .half_arithmetic = vk_half_arithmetic,
};
