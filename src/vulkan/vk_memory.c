/* Device memory: a few large allocations ("blocks"), each sub-allocated
 * first-fit with coalescing free ranges; one VkBuffer per sub-allocation.
 * On unified memory (host-visible, coherent blocks, e.g. lavapipe) transfers
 * memcpy through the persistent mapping; otherwise they go through one
 * host-visible staging buffer. NNGPU_VK_ALLOC_LIMIT=bytes makes allocations
 * beyond that total fail (fault tests); NNGPU_VK_FORCE_STAGING=1 uses
 * staging even on unified memory. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "vk_device.h"

#define BLOCK_BYTES ((VkDeviceSize)64 << 20)

typedef struct free_range {
    VkDeviceSize off, size;
    struct free_range *next;
} free_range;

struct ng_vk_block {
    VkDeviceMemory mem;
    VkDeviceSize size;
    uint32_t type;
    int host;      /* a staging block */
    void *mapped;
    int id;
    free_range *free;
    ng_vk_block *next;
};

/* Block ids of solo buffers: above any context's own (addresses id << 40). */
static atomic_int next_solo_id = 1 << 22;

static VkDeviceSize align_up(VkDeviceSize v, VkDeviceSize a) { return (v + a - 1) / a * a; }

static int find_type(const ng_context *c, uint32_t bits, VkMemoryPropertyFlags want) {
    for (uint32_t i = 0; i < c->mem_props.memoryTypeCount; i++)
        if ((bits & (1u << i)) && (c->mem_props.memoryTypes[i].propertyFlags & want) == want)
            return (int)i;
    return -1;
}

nngpu_status ng_vk_memory_init(ng_context *c) {
    vkGetPhysicalDeviceMemoryProperties(c->phys, &c->mem_props);
    const char *lim = getenv("NNGPU_VK_ALLOC_LIMIT");
    c->alloc_limit = lim ? (size_t)strtoull(lim, NULL, 10) : 0;
    /* the memory types a storage buffer may use */
    VkBufferCreateInfo bi = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                             .size = 256,
                             .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
                                      VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                                      VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                             .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VkBuffer probe;
    NG_CHECK(ng_vk_check(vkCreateBuffer(c->device, &bi, NULL, &probe), "vkCreateBuffer", NULL));
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(c->device, probe, &req);
    vkDestroyBuffer(c->device, probe, NULL);
    const VkMemoryPropertyFlags dl = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
    const VkMemoryPropertyFlags hv = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                     VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    int t = -1;
    if (!getenv("NNGPU_VK_FORCE_STAGING")) t = find_type(c, req.memoryTypeBits, dl | hv);
    c->mem_mapped = t >= 0;
    if (t < 0) t = find_type(c, req.memoryTypeBits, dl);
    if (t < 0) t = find_type(c, req.memoryTypeBits, 0);
    if (t < 0) return ng_error(NNGPU_ERR_DEVICE, "vulkan: no memory type for storage buffers");
    c->mem_type = (uint32_t)t;
    return NNGPU_OK;
}

/* A new block; solo: not in the context's list (a solo buffer's own). */
static nngpu_status block_create(ng_context *c, uint32_t type, int host, int solo,
                                 VkDeviceSize size, ng_vk_block **out) {
    ng_vk_block *b = calloc(1, sizeof *b);
    free_range *f = calloc(1, sizeof *f);
    if (!b || !f) {
        free(b);
        free(f);
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "vulkan: out of host memory");
    }
    VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                               .allocationSize = size,
                               .memoryTypeIndex = type};
    VkResult r = vkAllocateMemory(c->device, &ai, NULL, &b->mem);
    if (r != VK_SUCCESS) {
        free(b);
        free(f);
        char what[80];
        snprintf(what, sizeof what, "allocating %llu bytes of device memory",
                 (unsigned long long)size);
        return ng_vk_check(r, what, NULL);
    }
    VkMemoryPropertyFlags flags = c->mem_props.memoryTypes[type].propertyFlags;
    /* device blocks are mapped only on unified memory (not when forcing staging) */
    if ((flags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) && (host || c->mem_mapped)) {
        r = vkMapMemory(c->device, b->mem, 0, VK_WHOLE_SIZE, 0, &b->mapped);
        if (r != VK_SUCCESS) {
            vkFreeMemory(c->device, b->mem, NULL);
            free(b);
            free(f);
            return ng_vk_check(r, "vkMapMemory", NULL);
        }
    }
    b->size = size;
    b->type = type;
    b->host = host;
    b->id = solo ? atomic_fetch_add(&next_solo_id, 1) : ++c->next_block_id;
    f->off = 0;
    f->size = size;
    b->free = f;
    if (!solo) {
        b->next = c->blocks;
        c->blocks = b;
    }
    *out = b;
    return NNGPU_OK;
}

/* First fit in b; returns 1 and the offset when it fits. */
static int block_take(ng_vk_block *b, VkDeviceSize size, VkDeviceSize align, VkDeviceSize *off) {
    for (free_range **pp = &b->free; *pp; pp = &(*pp)->next) {
        free_range *f = *pp;
        VkDeviceSize start = align_up(f->off, align);
        if (start + size > f->off + f->size) continue;
        VkDeviceSize end = start + size, fend = f->off + f->size;
        if (start > f->off) { /* keep the head; the tail, if any, becomes a new range */
            if (end < fend) {
                free_range *t = malloc(sizeof *t);
                if (!t) return 0;
                t->off = end;
                t->size = fend - end;
                t->next = f->next;
                f->next = t;
            }
            f->size = start - f->off;
        } else if (end < fend) {
            f->off = end;
            f->size = fend - end;
        } else {
            *pp = f->next;
            free(f);
        }
        *off = start;
        return 1;
    }
    return 0;
}

static void block_give(ng_vk_block *b, VkDeviceSize off, VkDeviceSize size) {
    free_range **pp = &b->free;
    while (*pp && (*pp)->off < off) pp = &(*pp)->next;
    free_range *prev = NULL;
    for (free_range *f = b->free; f && f->off < off; f = f->next) prev = f;
    free_range *next = *pp;
    if (prev && prev->off + prev->size == off) { /* merge into prev */
        prev->size += size;
        if (next && prev->off + prev->size == next->off) {
            prev->size += next->size;
            prev->next = next->next;
            free(next);
        }
        return;
    }
    if (next && off + size == next->off) {
        next->off = off;
        next->size += size;
        return;
    }
    free_range *f = malloc(sizeof *f);
    if (!f) return; /* leaks the range, never the handle */
    f->off = off;
    f->size = size;
    f->next = next;
    *pp = f;
}

/* A new ng_buffer with its VkBuffer (no memory bound yet) and what it needs. */
static nngpu_status buffer_new(ng_context *c, VkDeviceSize size, ng_buffer **out,
                               VkMemoryRequirements *req) {
    ng_buffer *nb = calloc(1, sizeof *nb);
    if (!nb) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "vulkan: out of host memory");
    VkBufferCreateInfo bi = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                             .size = size,
                             .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
                                      VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                                      VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                             .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VkResult r = vkCreateBuffer(c->device, &bi, NULL, &nb->buf);
    if (r != VK_SUCCESS) {
        free(nb);
        return ng_vk_check(r, "vkCreateBuffer", NULL);
    }
    vkGetBufferMemoryRequirements(c->device, nb->buf, req);
    *out = nb;
    return NNGPU_OK;
}

nngpu_status ng_vk_alloc_check(const ng_context *c, VkDeviceSize bytes) {
    if (c->alloc_limit && c->allocated + bytes > c->alloc_limit)
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY,
                        "vulkan: allocating %llu bytes exceeds NNGPU_VK_ALLOC_LIMIT=%zu "
                        "(%zu allocated)",
                        (unsigned long long)bytes, c->alloc_limit, c->allocated);
    return NNGPU_OK;
}

static nngpu_status alloc_in(ng_context *c, uint32_t type, int host, VkDeviceSize bytes,
                             ng_buffer **out) {
    VkDeviceSize size = bytes ? align_up(bytes, 16) : 16;
    NG_CHECK(ng_vk_alloc_check(c, size));
    ng_buffer *nb;
    VkMemoryRequirements req;
    NG_CHECK(buffer_new(c, size, &nb, &req));
    VkDeviceSize align = req.alignment < 256 ? 256 : req.alignment;
    ng_vk_block *blk = NULL;
    VkDeviceSize off = 0;
    for (ng_vk_block *b = c->blocks; b; b = b->next)
        if (b->type == type && b->host == host && block_take(b, req.size, align, &off)) {
            blk = b;
            break;
        }
    if (!blk) {
        VkDeviceSize bs = req.size + align > BLOCK_BYTES ? align_up(req.size + align, 1 << 20)
                                                         : BLOCK_BYTES;
        nngpu_status s = block_create(c, type, host, 0, bs, &blk);
        if (s == NNGPU_OK && !block_take(blk, req.size, align, &off))
            s = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "vulkan: sub-allocation failed");
        if (s != NNGPU_OK) {
            vkDestroyBuffer(c->device, nb->buf, NULL);
            free(nb);
            return s;
        }
    }
    VkResult r = vkBindBufferMemory(c->device, nb->buf, blk->mem, off);
    if (r != VK_SUCCESS) {
        block_give(blk, off, req.size);
        vkDestroyBuffer(c->device, nb->buf, NULL);
        free(nb);
        return ng_vk_check(r, "vkBindBufferMemory", NULL);
    }
    nb->block = blk;
    nb->offset = off;
    nb->size = req.size; /* what the block gave; the usable size is >= bytes */
    c->allocated += (size_t)req.size;
    *out = nb;
    return NNGPU_OK;
}

nngpu_status ng_vk_buffer_create(ng_context *c, VkDeviceSize bytes, ng_buffer **out) {
    return alloc_in(c, c->mem_type, 0, bytes, out);
}

void ng_vk_buffer_destroy(ng_context *c, ng_buffer *b) {
    if (!b) return;
    if (b->shared) { /* a view of a shared constant (vk_consts.c) */
        /* the last reference frees device memory: no work of c may still read
         * it (kernels go before the context's own wait after a failed one) */
        if (c->in_flight) vkWaitForFences(c->device, 1, &c->fence, VK_TRUE, UINT64_MAX);
        c->allocated -= (size_t)b->size;
        ng_vk_const_release(c->shared, b->shared);
        free(b);
        return;
    }
    if (b->buf) vkDestroyBuffer(c->device, b->buf, NULL);
    if (b->block) {
        block_give(b->block, b->offset, b->size);
        c->allocated -= (size_t)b->size;
    }
    free(b);
}

static void block_free(VkDevice device, ng_vk_block *b) {
    if (b->mapped) vkUnmapMemory(device, b->mem);
    vkFreeMemory(device, b->mem, NULL);
    while (b->free) {
        free_range *f = b->free;
        b->free = f->next;
        free(f);
    }
    free(b);
}

nngpu_status ng_vk_solo_buffer_create(ng_context *c, VkDeviceSize bytes, ng_buffer **out) {
    ng_buffer *nb;
    VkMemoryRequirements req;
    NG_CHECK(buffer_new(c, bytes ? align_up(bytes, 16) : 16, &nb, &req));
    nngpu_status s = block_create(c, c->mem_type, 0, 1, req.size, &nb->block);
    if (s == NNGPU_OK)
        s = ng_vk_check(vkBindBufferMemory(c->device, nb->buf, nb->block->mem, 0),
                        "vkBindBufferMemory", NULL);
    if (s != NNGPU_OK) {
        ng_vk_solo_buffer_free(c->device, nb);
        return s;
    }
    nb->size = req.size;
    *out = nb;
    return NNGPU_OK;
}

void ng_vk_solo_buffer_free(VkDevice device, ng_buffer *b) {
    if (b->buf) vkDestroyBuffer(device, b->buf, NULL);
    if (b->block) block_free(device, b->block);
    free(b);
}

void ng_vk_memory_release(ng_context *c) {
    ng_vk_buffer_destroy(c, c->staging);
    c->staging = NULL;
    while (c->blocks) {
        ng_vk_block *b = c->blocks;
        c->blocks = b->next;
        block_free(c->device, b);
    }
}

uint64_t ng_vk_buffer_address(const ng_buffer *b) {
    return ((uint64_t)(b->block ? b->block->id : 0) << 40) + b->offset;
}

void *ng_vk_buffer_map(const ng_buffer *b) {
    return b->block && b->block->mapped ? (char *)b->block->mapped + b->offset : NULL;
}

/* A host-visible staging buffer of at least `bytes`. */
static nngpu_status staging_get(ng_context *c, size_t bytes) {
    if (c->staging && c->staging->size >= bytes) return NNGPU_OK;
    ng_vk_buffer_destroy(c, c->staging);
    c->staging = NULL;
    VkBufferCreateInfo bi = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                             .size = 256,
                             .usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                                      VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                             .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VkBuffer probe;
    NG_CHECK(ng_vk_check(vkCreateBuffer(c->device, &bi, NULL, &probe), "vkCreateBuffer", NULL));
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(c->device, probe, &req);
    vkDestroyBuffer(c->device, probe, NULL);
    int t = find_type(c, req.memoryTypeBits,
                      VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
    if (t < 0) return ng_error(NNGPU_ERR_DEVICE, "vulkan: no host-visible memory for staging");
    size_t size = bytes < ((size_t)4 << 20) ? ((size_t)4 << 20) : bytes;
    return alloc_in(c, (uint32_t)t, 1, size, &c->staging);
}

static nngpu_status copy_submit(ng_context *c, VkBuffer src, VkDeviceSize src_off, VkBuffer dst,
                                VkDeviceSize dst_off, VkDeviceSize bytes) {
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                   .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    NG_CHECK(ng_vk_check(vkBeginCommandBuffer(c->xfer_cmd, &bi), "vkBeginCommandBuffer", NULL));
    VkMemoryBarrier pre = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                           .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_HOST_WRITE_BIT,
                           .dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT};
    vkCmdPipelineBarrier(c->xfer_cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_HOST_BIT,
                         VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &pre, 0, NULL, 0, NULL);
    VkBufferCopy region = {.srcOffset = src_off, .dstOffset = dst_off, .size = bytes};
    vkCmdCopyBuffer(c->xfer_cmd, src, dst, 1, &region);
    VkMemoryBarrier post = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                            .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
                            .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                                             VK_ACCESS_HOST_READ_BIT};
    vkCmdPipelineBarrier(c->xfer_cmd, VK_PIPELINE_STAGE_TRANSFER_BIT,
                         VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_HOST_BIT, 0, 1,
                         &post, 0, NULL, 0, NULL);
    NG_CHECK(ng_vk_check(vkEndCommandBuffer(c->xfer_cmd), "vkEndCommandBuffer", NULL));
    return ng_vk_submit_wait(c, c->xfer_cmd, "waiting for a transfer");
}

nngpu_status ng_vk_transfer(ng_context *c, ng_buffer *b, size_t offset, size_t bytes, void *host,
                            int to_device) {
    if (!bytes) return NNGPU_OK;
    NG_CHECK(ng_vk_finish(c)); /* transfers are ordered after enqueued work */
    char *p = ng_vk_buffer_map(b);
    if (p) {
        if (to_device) memcpy(p + offset, host, bytes);
        else memcpy(host, p + offset, bytes);
        return NNGPU_OK;
    }
    NG_CHECK(staging_get(c, bytes));
    char *sp = ng_vk_buffer_map(c->staging);
    if (to_device) {
        memcpy(sp, host, bytes);
        return copy_submit(c, c->staging->buf, 0, b->buf, offset, bytes);
    }
    NG_CHECK(copy_submit(c, b->buf, offset, c->staging->buf, 0, bytes));
    memcpy(host, sp, bytes);
    return NNGPU_OK;
}

nngpu_status ng_vk_buffer_fill(ng_context *c, ng_buffer *b, size_t bytes,
                               void (*fill)(void *arg, void *dst), void *arg) {
    NG_CHECK(ng_vk_finish(c)); /* b's memory may have served queued work */
    char *p = ng_vk_buffer_map(b);
    if (p) {
        fill(arg, p); /* host-visible device memory: written in place */
        return NNGPU_OK;
    }
    void *host = malloc(bytes ? bytes : 1);
    if (!host) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "vulkan: out of host memory");
    fill(arg, host);
    nngpu_status s = ng_vk_transfer(c, b, 0, bytes, host, 1);
    free(host);
    return s;
}
