/* Dispatches and runs: a kernel's dispatches get their descriptor sets at
 * prepare time; enqueue only appends the kernel to the pending list; finish
 * records one command buffer for the list (or re-submits the last one when
 * the list is unchanged), with a compute->compute barrier only before a
 * dispatch that touches memory written since the last barrier (or writes
 * memory read since then), then waits on the fence. Per-dispatch timestamp
 * pairs when profiling. NNGPU_VK_BARRIER_ALL=1 puts a barrier before every
 * dispatch (debugging). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "vk_device.h"

nngpu_status ng_vk_commands_init(ng_context *c) {
    VkCommandPoolCreateInfo pi = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                  .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
                                  .queueFamilyIndex = c->queue_family};
    NG_CHECK(ng_vk_check(vkCreateCommandPool(c->device, &pi, NULL, &c->cmd_pool),
                         "vkCreateCommandPool", NULL));
    VkCommandBuffer bufs[2];
    VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                      .commandPool = c->cmd_pool,
                                      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                      .commandBufferCount = 2};
    NG_CHECK(ng_vk_check(vkAllocateCommandBuffers(c->device, &ai, bufs),
                         "vkAllocateCommandBuffers", NULL));
    c->cmd = bufs[0];
    c->xfer_cmd = bufs[1];
    VkFenceCreateInfo fi = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    return ng_vk_check(vkCreateFence(c->device, &fi, NULL, &c->fence), "vkCreateFence", NULL);
}

void ng_vk_groups_1d(const ng_context *c, uint64_t items, uint32_t wg, uint32_t groups[3]) {
    uint64_t g = (items + wg - 1) / (wg ? wg : 1);
    uint64_t maxx = c->limits.maxComputeWorkGroupCount[0];
    if (maxx > 65535) maxx = 65535;
    if (g == 0) g = 1;
    if (g <= maxx) {
        groups[0] = (uint32_t)g;
        groups[1] = 1;
    } else {
        groups[0] = (uint32_t)maxx;
        groups[1] = (uint32_t)((g + maxx - 1) / maxx);
    }
    groups[2] = 1;
}

nngpu_status ng_vk_dispatch_add(ng_context *c, ng_kernel *k, const char *shader,
                                const int32_t *spec, int n_spec, ng_buffer *const *buffers,
                                int n_buffers, const void *push, uint32_t push_size,
                                const uint32_t groups[3]) {
    if (k->n_dispatches >= NG_VK_MAX_DISPATCHES || n_buffers > NG_VK_MAX_BINDINGS ||
        push_size > NG_VK_MAX_PUSH)
        return ng_error(NNGPU_ERR_INTERNAL, "node '%s': too many dispatches or bindings",
                        k->node_name);
    for (int i = 0; i < 3; i++)
        if (groups[i] == 0 || groups[i] > c->limits.maxComputeWorkGroupCount[i])
            return ng_error(NNGPU_ERR_UNSUPPORTED,
                            "node '%s': %u work-groups in dimension %d exceed the device's %u",
                            k->node_name, groups[i], i, c->limits.maxComputeWorkGroupCount[i]);
    ng_vk_dispatch *d = &k->d[k->n_dispatches];
    memset(d, 0, sizeof *d);
    VkDescriptorSetLayout set_layout;
    char variant[64];
    if (c->half) { /* the shader's float16 variant (shaders/vulkan/variants.cmake) */
        snprintf(variant, sizeof variant, "%s_%s", shader,
                 c->half == NG_VK_HALF_MATH ? "h16" : "f16");
        shader = variant;
    }
    NG_CHECK(ng_vk_pipeline_get(c, shader, spec, n_spec, n_buffers, push_size, k->node_name,
                                &d->pipeline, &d->layout, &set_layout));
    if (!k->desc_pool) {
        VkDescriptorPoolSize ps = {.type = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                   .descriptorCount = NG_VK_MAX_DISPATCHES * NG_VK_MAX_BINDINGS};
        VkDescriptorPoolCreateInfo pi = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
                                         .maxSets = NG_VK_MAX_DISPATCHES,
                                         .poolSizeCount = 1,
                                         .pPoolSizes = &ps};
        NG_CHECK(ng_vk_check(vkCreateDescriptorPool(c->device, &pi, NULL, &k->desc_pool),
                             "vkCreateDescriptorPool", k->node_name));
    }
    VkDescriptorSetAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                      .descriptorPool = k->desc_pool,
                                      .descriptorSetCount = 1,
                                      .pSetLayouts = &set_layout};
    NG_CHECK(ng_vk_check(vkAllocateDescriptorSets(c->device, &ai, &d->set),
                         "vkAllocateDescriptorSets", k->node_name));
    VkDescriptorBufferInfo bi[NG_VK_MAX_BINDINGS];
    VkWriteDescriptorSet w[NG_VK_MAX_BINDINGS];
    for (int i = 0; i < n_buffers; i++) {
        if (!buffers[i])
            return ng_error(NNGPU_ERR_INTERNAL, "node '%s': binding %d of %s has no buffer",
                            k->node_name, i, shader);
        bi[i] = (VkDescriptorBufferInfo){.buffer = buffers[i]->buf, .offset = 0,
                                         .range = VK_WHOLE_SIZE};
        w[i] = (VkWriteDescriptorSet){.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                      .dstSet = d->set,
                                      .dstBinding = (uint32_t)i,
                                      .descriptorCount = 1,
                                      .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                      .pBufferInfo = &bi[i]};
        /* until narrowed: every binding read and written whole */
        d->read_lo[i] = ng_vk_buffer_address(buffers[i]);
        d->read_hi[i] = d->read_lo[i] + buffers[i]->size;
        if (i == 0 || d->read_lo[i] < d->write_lo) d->write_lo = d->read_lo[i];
        if (d->read_hi[i] > d->write_hi) d->write_hi = d->read_hi[i];
    }
    d->n_reads = n_buffers;
    vkUpdateDescriptorSets(c->device, (uint32_t)n_buffers, w, 0, NULL);
    memcpy(d->push, push, push_size);
    d->push_size = push_size;
    memcpy(d->groups, groups, sizeof d->groups);
    k->n_dispatches++;
    return NNGPU_OK;
}

void ng_vk_dispatch_tensors(ng_context *c, ng_kernel *k, const ng_graph *g,
                            const ng_binding *bind, const int *reads, int n_reads, int write) {
    (void)c;
    if (k->n_dispatches == 0 || n_reads > NG_VK_MAX_BINDINGS) return;
    ng_vk_dispatch *d = &k->d[k->n_dispatches - 1];
    int n = 0;
    for (int i = 0; i < n_reads; i++) {
        int t = reads[i];
        if (t < 0 || g->tensors[t].data || !bind[t].buf) continue; /* constants: owned */
        d->read_lo[n] = ng_vk_buffer_address(bind[t].buf) + bind[t].offset;
        d->read_hi[n] = d->read_lo[n] + ng_vk_tensor_bytes(c, &g->tensors[t]);
        n++;
    }
    d->n_reads = n;
    d->write_lo = d->write_hi = 0;
    if (write >= 0 && bind[write].buf) {
        d->write_lo = ng_vk_buffer_address(bind[write].buf) + bind[write].offset;
        d->write_hi = d->write_lo + ng_vk_tensor_bytes(c, &g->tensors[write]);
    }
}

nngpu_status ng_vk_enqueue(ng_context *c, ng_kernel *k) {
    if (c->n_pending == c->cap_pending) {
        int cap = c->cap_pending ? 2 * c->cap_pending : 64;
        ng_kernel **p = realloc(c->pending, sizeof *p * (size_t)cap);
        if (!p) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "vulkan: out of host memory");
        c->pending = p;
        c->cap_pending = cap;
    }
    c->pending[c->n_pending++] = k;
    return NNGPU_OK;
}

void ng_vk_forget(ng_context *c, ng_kernel *k) {
    for (int i = 0; i < c->n_recorded; i++)
        if (c->recorded[i] == k) c->recorded_valid = 0;
    int n = 0;
    for (int i = 0; i < c->n_pending; i++)
        if (c->pending[i] != k) c->pending[n++] = c->pending[i];
    c->n_pending = n;
}

/* Ranges touched since the last barrier. */
#define MAX_RANGES 64
typedef struct hazards {
    int n_w, n_r;
    uint64_t w_lo[MAX_RANGES], w_hi[MAX_RANGES], r_lo[MAX_RANGES], r_hi[MAX_RANGES];
} hazards;

static int overlaps(const uint64_t *lo, const uint64_t *hi, int n, uint64_t a, uint64_t b) {
    for (int i = 0; i < n; i++)
        if (a < hi[i] && lo[i] < b) return 1;
    return 0;
}

static int needs_barrier(const hazards *h, const ng_vk_dispatch *d) {
    for (int i = 0; i < d->n_reads; i++)
        if (overlaps(h->w_lo, h->w_hi, h->n_w, d->read_lo[i], d->read_hi[i])) return 1;
    if (d->write_hi > d->write_lo &&
        (overlaps(h->w_lo, h->w_hi, h->n_w, d->write_lo, d->write_hi) ||
         overlaps(h->r_lo, h->r_hi, h->n_r, d->write_lo, d->write_hi)))
        return 1;
    return h->n_w + 1 > MAX_RANGES || h->n_r + d->n_reads > MAX_RANGES;
}

static void note(hazards *h, const ng_vk_dispatch *d) {
    for (int i = 0; i < d->n_reads; i++) {
        h->r_lo[h->n_r] = d->read_lo[i];
        h->r_hi[h->n_r++] = d->read_hi[i];
    }
    if (d->write_hi > d->write_lo) {
        h->w_lo[h->n_w] = d->write_lo;
        h->w_hi[h->n_w++] = d->write_hi;
    }
}

static void barrier(VkCommandBuffer cmd, VkPipelineStageFlags src, VkAccessFlags src_access,
                    VkPipelineStageFlags dst, VkAccessFlags dst_access) {
    VkMemoryBarrier mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                          .srcAccessMask = src_access,
                          .dstAccessMask = dst_access};
    vkCmdPipelineBarrier(cmd, src, dst, 0, 1, &mb, 0, NULL, 0, NULL);
}

static nngpu_status ensure_queries(ng_context *c, uint32_t need) {
    if (need <= c->query_cap && c->timestamps) return NNGPU_OK;
    if (c->timestamps) vkDestroyQueryPool(c->device, c->timestamps, NULL);
    c->timestamps = VK_NULL_HANDLE;
    c->query_cap = 0;
    uint32_t cap = need < 256 ? 256 : need * 2;
    VkQueryPoolCreateInfo qi = {.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
                                .queryType = VK_QUERY_TYPE_TIMESTAMP,
                                .queryCount = cap};
    NG_CHECK(ng_vk_check(vkCreateQueryPool(c->device, &qi, NULL, &c->timestamps),
                         "vkCreateQueryPool", NULL));
    c->query_cap = cap;
    return NNGPU_OK;
}

static nngpu_status record(ng_context *c, int prof) {
    NG_CHECK(ng_vk_pipelines_wait(c)); /* compiled by now unless used outside a session */
    uint32_t n_disp = 0;
    for (int i = 0; i < c->n_pending; i++) n_disp += (uint32_t)c->pending[i]->n_dispatches;
    if (prof) NG_CHECK(ensure_queries(c, 2 * n_disp));
    VkCommandBuffer cmd = c->cmd;
    NG_CHECK(ng_vk_check(vkResetCommandBuffer(cmd, 0), "vkResetCommandBuffer", NULL));
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    NG_CHECK(ng_vk_check(vkBeginCommandBuffer(cmd, &bi), "vkBeginCommandBuffer", NULL));
    if (prof) vkCmdResetQueryPool(cmd, c->timestamps, 0, 2 * n_disp);
    /* host writes and staging copies before this run */
    barrier(cmd, VK_PIPELINE_STAGE_HOST_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
            VK_ACCESS_HOST_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
            VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
            VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT);
    hazards h;
    h.n_w = h.n_r = 0;
    uint32_t q = 0;
    VkPipeline bound = VK_NULL_HANDLE;
    int all = getenv("NNGPU_VK_BARRIER_ALL") != NULL; /* debugging: a barrier everywhere */
    for (int i = 0; i < c->n_pending; i++) {
        ng_kernel *k = c->pending[i];
        for (int j = 0; j < k->n_dispatches; j++) {
            ng_vk_dispatch *d = &k->d[j];
            if (all || needs_barrier(&h, d)) {
                barrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT,
                        VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                        VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT);
                h.n_w = h.n_r = 0;
            }
            note(&h, d);
            if (prof) {
                d->query = q;
                vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, c->timestamps, q);
            }
            VkPipeline pipeline = ng_vk_pipeline_handle(d->pipeline);
            if (pipeline != bound) {
                vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline);
                bound = pipeline;
            }
            vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, d->layout, 0, 1, &d->set,
                                    0, NULL);
            if (d->push_size)
                vkCmdPushConstants(cmd, d->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, d->push_size,
                                   d->push);
            vkCmdDispatch(cmd, d->groups[0], d->groups[1], d->groups[2]);
            if (prof) {
                vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, c->timestamps,
                                    q + 1);
                q += 2;
            }
        }
    }
    /* results visible to the host and to copies */
    barrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT,
            VK_PIPELINE_STAGE_HOST_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
            VK_ACCESS_HOST_READ_BIT | VK_ACCESS_TRANSFER_READ_BIT);
    NG_CHECK(ng_vk_check(vkEndCommandBuffer(cmd), "vkEndCommandBuffer", NULL));
    /* remember what the buffer holds */
    if (c->n_pending > c->n_recorded || !c->recorded) {
        ng_kernel **r = realloc(c->recorded, sizeof *r * (size_t)c->cap_pending);
        if (!r) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "vulkan: out of host memory");
        c->recorded = r;
    }
    memcpy(c->recorded, c->pending, sizeof *c->pending * (size_t)c->n_pending);
    c->n_recorded = c->n_pending;
    c->recorded_valid = 1;
    return NNGPU_OK;
}

static void read_times(ng_context *c) {
    for (int i = 0; i < c->n_pending; i++) {
        ng_kernel *k = c->pending[i];
        double ms = 0.0;
        int ok = 1;
        for (int j = 0; j < k->n_dispatches && ok; j++) {
            uint64_t t[2];
            if (vkGetQueryPoolResults(c->device, c->timestamps, k->d[j].query, 2, sizeof t, t,
                                      sizeof t[0], VK_QUERY_RESULT_64_BIT) != VK_SUCCESS)
                ok = 0;
            else
                ms += (double)(t[1] - t[0]) * c->timestamp_period_ns * 1e-6;
        }
        k->last_ms = ok ? ms : -1.0;
    }
}

nngpu_status ng_vk_submit_wait(ng_context *c, VkCommandBuffer cmd, const char *what) {
    VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                       .commandBufferCount = 1,
                       .pCommandBuffers = &cmd};
    NG_CHECK(ng_vk_check(vkResetFences(c->device, 1, &c->fence), "vkResetFences", NULL));
    NG_CHECK(ng_vk_check(ng_vk_queue_submit(c->shared, &si, c->fence), "vkQueueSubmit", NULL));
    c->in_flight = 1;
    NG_CHECK(ng_vk_check(vkWaitForFences(c->device, 1, &c->fence, VK_TRUE, UINT64_MAX), what,
                         NULL));
    c->in_flight = 0;
    return NNGPU_OK;
}

nngpu_status ng_vk_finish(ng_context *c) {
    if (c->n_pending == 0) return NNGPU_OK;
    int prof = c->opts.profiling && c->timestamp_period_ns > 0;
    int same = c->recorded_valid && c->recorded_prof == prof && c->n_recorded == c->n_pending &&
               memcmp(c->recorded, c->pending, sizeof *c->pending * (size_t)c->n_pending) == 0;
    nngpu_status s = NNGPU_OK;
    if (!same) {
        s = record(c, prof);
        c->recorded_prof = prof;
    }
    if (s == NNGPU_OK) {
        s = ng_vk_submit_wait(c, c->cmd, "waiting for the run");
    }
    if (s == NNGPU_OK && prof) read_times(c);
    if (s != NNGPU_OK) c->recorded_valid = 0;
    c->n_pending = 0;
    return s;
}

double ng_vk_kernel_ms(ng_context *c, const ng_kernel *k) {
    if (!c->opts.profiling || c->timestamp_period_ns <= 0) return -1.0;
    return k->last_ms;
}
