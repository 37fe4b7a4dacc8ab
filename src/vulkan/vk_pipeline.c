/* Compute pipelines, made once per shared device (vk_shared.c) and key and
 * shared by every layer of every context in the process that asks for the
 * same key: the embedded SPIR-V module (by name; entry point "main"), the
 * specialization constants, the bindings and the push-constant size (the
 * layouts' shape), and whether a failure is injected. The registry is a
 * list on the device under its reg_mu; an entry counts the contexts holding
 * it and is destroyed when the last lets go. Each context keeps its own
 * references (ng_context.refs, with the layer that first asked, named in
 * errors).
 * The shader module and layouts are made at once; the VkPipeline (the
 * driver's compile, the slow part) is a job on the asking context's worker
 * threads (core/jobs.h), so a session's distinct pipelines compile in
 * parallel while later layers prepare; another context asking meanwhile
 * gets the entry and waits for it (reg_cv). A failed build leaves the
 * registry at once, so the next context to ask compiles it again; who holds
 * it sees the failure. ng_vk_pipelines_wait joins a context's pipelines:
 * the session calls it after its last layer (backend prepare_done),
 * recording calls it too. The pipeline cache (vk_pipeline_cache.c) is
 * internally synchronized, so concurrent compiles may share it.
 * NNGPU_VK_FAIL_PIPELINE=<shader> makes that shader's pipelines fail to
 * build (fault tests): such an entry has a key of its own, so it never
 * takes a healthy pipeline's place nor gets one. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jobs.h"
#include "core/status.h"
#include "vk_device.h"
#include "vk_stats.h"

struct ng_spirv_file {
    const char *name;
    const uint32_t *words;
    size_t size;
};
extern const struct ng_spirv_file ng_vulkan_spirv[]; /* generated: gen/vulkan_spirv.c */

/* The embedded module `name` and its size. */
static const uint32_t *spirv_find(const char *name, size_t *size_bytes) {
    for (int i = 0; ng_vulkan_spirv[i].name; i++)
        if (strcmp(ng_vulkan_spirv[i].name, name) == 0) {
            *size_bytes = ng_vulkan_spirv[i].size;
            return ng_vulkan_spirv[i].words;
        }
    return NULL;
}

const uint32_t *ng_vk_spirv(const char *name, size_t *size_bytes) {
    return spirv_find(name, size_bytes);
}

#define MAX_SPEC 64
#define MAX_COMPILE_THREADS 8

static atomic_int n_compiled, n_reused, n_registered;

ng_vk_pipeline_stats ng_vk_pipeline_stats_get(void) {
    return (ng_vk_pipeline_stats){.compiled = atomic_load(&n_compiled),
                                  .reused = atomic_load(&n_reused),
                                  .registered = atomic_load(&n_registered),
                                  .devices = ng_vk_shared_open_count()};
}

struct ng_vk_pipeline_entry {
    /* the key */
    char name[48];
    int n_spec, n_bindings;
    int32_t spec[MAX_SPEC];
    uint32_t push_size;
    int inject_failure; /* NNGPU_VK_FAIL_PIPELINE names this shader */
    ng_vk_shared *dev;
    VkShaderModule module;
    VkDescriptorSetLayout set_layout;
    VkPipelineLayout layout;
    /* Under dev->reg_mu: the build's result once done; the pipeline is
     * read without the lock after a wait saw done. */
    VkPipeline pipeline;
    VkResult result;
    int done;
    int users;  /* contexts holding it */
    int listed; /* in dev->pipelines */
    ng_vk_pipeline_entry *next;
};

struct ng_vk_pipeline_ref {
    ng_vk_pipeline_entry *e;
    char node[64]; /* the context's first layer that asked */
};

static int same_key(const ng_vk_pipeline_entry *e, const char *name, const int32_t *spec, int n_spec, int n_bindings, uint32_t push_size,
                    int inject) {
    return e->n_spec == n_spec && e->n_bindings == n_bindings &&
           e->push_size == push_size && e->inject_failure == inject &&
           strcmp(e->name, name) == 0 &&
           (n_spec == 0 || memcmp(e->spec, spec, (size_t)n_spec * 4) == 0);
}

static void entry_destroy(ng_vk_pipeline_entry *e) {
    VkDevice dev = e->dev->device;
    if (e->pipeline) vkDestroyPipeline(dev, e->pipeline, NULL);
    if (e->layout) vkDestroyPipelineLayout(dev, e->layout, NULL);
    if (e->set_layout) vkDestroyDescriptorSetLayout(dev, e->set_layout, NULL);
    if (e->module) vkDestroyShaderModule(dev, e->module, NULL);
    free(e);
}

/* Under reg_mu. */
static void unlist(ng_vk_pipeline_entry *e) {
    if (!e->listed) return;
    for (ng_vk_pipeline_entry **pp = &e->dev->pipelines; *pp; pp = &(*pp)->next)
        if (*pp == e) {
            *pp = e->next;
            break;
        }
    e->listed = 0;
    atomic_fetch_sub(&n_registered, 1);
}

void ng_vk_pipelines_release(ng_context *c) {
    ng_jobs_destroy(c->jobs); /* its compiles in flight end first */
    c->jobs = NULL;
    ng_vk_pipeline_entry *dead = NULL;
    if (c->n_refs) {
        pthread_mutex_lock(&c->shared->reg_mu);
        for (int i = 0; i < c->n_refs; i++) {
            ng_vk_pipeline_entry *e = c->refs[i].e;
            if (--e->users > 0) continue;
            unlist(e); /* built (its compiler's jobs ended): nobody waits on it */
            e->next = dead;
            dead = e;
        }
        pthread_mutex_unlock(&c->shared->reg_mu);
    }
    while (dead) {
        ng_vk_pipeline_entry *e = dead;
        dead = e->next;
        entry_destroy(e);
    }
    free(c->refs);
    c->refs = NULL;
    c->n_refs = c->cap_refs = 0;
}

void ng_vk_registry_release(ng_vk_shared *d) {
    while (d->pipelines) { /* none while every context lets go of its own */
        ng_vk_pipeline_entry *e = d->pipelines;
        unlist(e);
        entry_destroy(e);
    }
}

nngpu_status ng_vk_pipelines_wait(ng_context *c) {
    const ng_vk_pipeline_ref *failed = NULL; /* the first asked for */
    if (c->n_refs) {
        pthread_mutex_lock(&c->shared->reg_mu);
        for (int i = 0; i < c->n_refs; i++) {
            const ng_vk_pipeline_entry *e = c->refs[i].e;
            while (!e->done) pthread_cond_wait(&c->shared->reg_cv, &c->shared->reg_mu);
            if (e->result != VK_SUCCESS && !failed) failed = &c->refs[i];
        }
        pthread_mutex_unlock(&c->shared->reg_mu);
    }
    if (!failed) return NNGPU_OK;
    char what[128];
    snprintf(what, sizeof what, "creating the pipeline of shader '%s'%s", failed->e->name,
             failed->e->inject_failure ? " (injected by NNGPU_VK_FAIL_PIPELINE)" : "");
    return ng_vk_check(failed->e->result, what, failed->node);
}

VkPipeline ng_vk_pipeline_handle(const ng_vk_pipeline_entry *e) { return e->pipeline; }

/* The job: vkCreateComputePipelines with the entry's constants; a failed
 * build leaves the registry. */
static void build_pipeline(void *arg) {
    ng_vk_pipeline_entry *e = arg;
    ng_vk_shared *d = e->dev;
    VkSpecializationMapEntry map[MAX_SPEC];
    for (int i = 0; i < e->n_spec; i++)
        map[i] = (VkSpecializationMapEntry){.constantID = (uint32_t)i,
                                            .offset = (uint32_t)(i * 4),
                                            .size = 4};
    VkSpecializationInfo si = {.mapEntryCount = (uint32_t)e->n_spec,
                               .pMapEntries = map,
                               .dataSize = (size_t)e->n_spec * 4,
                               .pData = e->spec};
    VkComputePipelineCreateInfo ci = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                  .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                  .module = e->module,
                  .pName = "main",
                  .pSpecializationInfo = e->n_spec ? &si : NULL},
        .layout = e->layout};
    VkPipeline p = VK_NULL_HANDLE;
    VkResult r = e->inject_failure ? VK_ERROR_INITIALIZATION_FAILED
                                   : vkCreateComputePipelines(d->device, d->pipeline_cache, 1,
                                                              &ci, NULL, &p);
    pthread_mutex_lock(&d->reg_mu);
    e->pipeline = r == VK_SUCCESS ? p : VK_NULL_HANDLE;
    e->result = r;
    e->done = 1;
    if (r != VK_SUCCESS) unlist(e);
    pthread_cond_broadcast(&d->reg_cv);
    pthread_mutex_unlock(&d->reg_mu);
}

/* The module and layouts (the pipeline is the job's). */
static nngpu_status entry_objects(ng_vk_pipeline_entry *e, const uint32_t *code, size_t bytes,
                                  const char *node) {
    VkDevice dev = e->dev->device;
    VkShaderModuleCreateInfo mi = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                   .codeSize = bytes,
                                   .pCode = code};
    NG_CHECK(ng_vk_check(vkCreateShaderModule(dev, &mi, NULL, &e->module),
                         "vkCreateShaderModule", node));
    VkDescriptorSetLayoutBinding b[NG_VK_MAX_BINDINGS];
    for (int i = 0; i < e->n_bindings; i++)
        b[i] = (VkDescriptorSetLayoutBinding){.binding = (uint32_t)i,
                                              .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                              .descriptorCount = 1,
                                              .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT};
    VkDescriptorSetLayoutCreateInfo li = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
                                          .bindingCount = (uint32_t)e->n_bindings,
                                          .pBindings = b};
    NG_CHECK(ng_vk_check(vkCreateDescriptorSetLayout(dev, &li, NULL, &e->set_layout),
                         "vkCreateDescriptorSetLayout", node));
    VkPushConstantRange pr = {.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT, .offset = 0,
                              .size = e->push_size};
    VkPipelineLayoutCreateInfo pli = {.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                      .setLayoutCount = 1,
                                      .pSetLayouts = &e->set_layout,
                                      .pushConstantRangeCount = e->push_size ? 1 : 0,
                                      .pPushConstantRanges = &pr};
    return ng_vk_check(vkCreatePipelineLayout(dev, &pli, NULL, &e->layout),
                       "vkCreatePipelineLayout", node);
}

/* The registry's entry for the key with one more user, or a new one (*made
 * set: its build is the caller's to submit). Under reg_mu. */
static nngpu_status registry_get(ng_vk_shared *d, const char *name, const uint32_t *code,
                                 size_t bytes, const int32_t *spec, int n_spec,
                                 int n_bindings, uint32_t push_size, int inject, const char *node,
                                 ng_vk_pipeline_entry **out, int *made) {
    for (ng_vk_pipeline_entry *e = d->pipelines; e; e = e->next)
        if (same_key(e, name, spec, n_spec, n_bindings, push_size, inject)) {
            e->users++;
            *out = e;
            *made = 0;
            return NNGPU_OK;
        }
    ng_vk_pipeline_entry *e = calloc(1, sizeof *e);
    if (!e) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "vulkan: out of host memory");
    snprintf(e->name, sizeof e->name, "%s", name);
    e->n_spec = n_spec;
    if (n_spec) memcpy(e->spec, spec, (size_t)n_spec * 4);
    e->n_bindings = n_bindings;
    e->push_size = push_size;
    e->inject_failure = inject;
    e->dev = d;
    nngpu_status s = entry_objects(e, code, bytes, node);
    if (s != NNGPU_OK) {
        entry_destroy(e);
        return s;
    }
    e->users = 1;
    e->listed = 1;
    e->next = d->pipelines;
    d->pipelines = e;
    d->cache_dirty = 1;
    atomic_fetch_add(&n_registered, 1);
    *out = e;
    *made = 1;
    return NNGPU_OK;
}

nngpu_status ng_vk_pipeline_get(ng_context *c, const char *name, const int32_t *spec, int n_spec,
                                int n_bindings, uint32_t push_size, const char *node,
                                const ng_vk_pipeline_entry **pipeline, VkPipelineLayout *layout,
                                VkDescriptorSetLayout *set_layout) {
    if (n_spec > MAX_SPEC || n_bindings > NG_VK_MAX_BINDINGS || push_size > NG_VK_MAX_PUSH ||
        push_size > c->limits.maxPushConstantsSize || strlen(name) >= sizeof(((ng_vk_pipeline_entry *)0)->name))
        return ng_error(NNGPU_ERR_INTERNAL,
                        "node '%s': vulkan: shader '%s': %d constants, %d bindings, %u push "
                        "bytes: too many", node, name, n_spec, n_bindings, push_size);
    size_t bytes;
    const uint32_t *code = spirv_find(name, &bytes);
    if (!code) return ng_error(NNGPU_ERR_INTERNAL, "vulkan: no embedded shader '%s'", name);
    const char *fail = getenv("NNGPU_VK_FAIL_PIPELINE");
    int inject = fail && strcmp(fail, name) == 0;
    ng_vk_pipeline_entry *e = NULL;
    for (int i = 0; i < c->n_refs && !e; i++)
        if (same_key(c->refs[i].e, name, spec, n_spec, n_bindings, push_size, inject))
            e = c->refs[i].e;
    if (!e) {
        if (c->n_refs == c->cap_refs) { /* room first: a reference taken is never lost */
            int cap = c->cap_refs ? 2 * c->cap_refs : 32;
            ng_vk_pipeline_ref *r = realloc(c->refs, sizeof *r * (size_t)cap);
            if (!r) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "vulkan: out of host memory");
            c->refs = r;
            c->cap_refs = cap;
        }
        int made = 0;
        ng_vk_shared *d = c->shared;
        pthread_mutex_lock(&d->reg_mu);
        nngpu_status s = registry_get(d, name, code, bytes, spec, n_spec, n_bindings,
                                      push_size, inject, node, &e, &made);
        pthread_mutex_unlock(&d->reg_mu);
        NG_CHECK(s);
        ng_vk_pipeline_ref *r = &c->refs[c->n_refs++];
        r->e = e;
        snprintf(r->node, sizeof r->node, "%s", node);
        if (made) {
            atomic_fetch_add(&n_compiled, 1);
            if (!c->jobs) c->jobs = ng_jobs_create(ng_jobs_default_threads(MAX_COMPILE_THREADS));
            ng_jobs_submit(c->jobs, build_pipeline, e); /* after the unlock: may run inline */
        } else {
            atomic_fetch_add(&n_reused, 1);
        }
    }
    *pipeline = e;
    *layout = e->layout;
    if (set_layout) *set_layout = e->set_layout;
    return NNGPU_OK;
}
