/* Compute pipelines, made once per context per (shader, specialization
 * constants, bindings, push size) and shared by every layer that asks for
 * the same key. The shader module and layouts are made at once; the
 * VkPipeline (the driver's compile, the slow part) is a job on the context's
 * worker threads (core/jobs.h), so a session's distinct pipelines compile in
 * parallel while later layers prepare. ng_vk_pipelines_wait joins them: the
 * session calls it after its last layer (backend prepare_done), recording
 * calls it too. The pipeline cache (vk_pipeline_cache.c) is internally
 * synchronized, so concurrent compiles may share it.
 * NNGPU_VK_FAIL_PIPELINE=<shader> makes that shader's pipelines fail to
 * build (fault tests). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jobs.h"
#include "core/status.h"
#include "vk_device.h"

struct ng_spirv_file {
    const char *name;
    const uint32_t *words;
    size_t size;
};
extern const struct ng_spirv_file ng_vulkan_spirv[]; /* generated: gen/vulkan_spirv.c */

const uint32_t *ng_vk_spirv(const char *name, size_t *size_bytes) {
    for (int i = 0; ng_vulkan_spirv[i].name; i++)
        if (strcmp(ng_vulkan_spirv[i].name, name) == 0) {
            *size_bytes = ng_vulkan_spirv[i].size;
            return ng_vulkan_spirv[i].words;
        }
    return NULL;
}

#define MAX_SPEC 64
#define MAX_COMPILE_THREADS 8

struct ng_vk_pipeline_entry {
    char name[48];
    char node[64]; /* the first layer that asked for it: named in errors */
    int n_spec, n_bindings;
    int32_t spec[MAX_SPEC];
    uint32_t push_size;
    int inject_failure; /* NNGPU_VK_FAIL_PIPELINE names this shader */
    ng_context *c;
    VkShaderModule module;
    VkDescriptorSetLayout set_layout;
    VkPipelineLayout layout;
    /* Written by the build job, read after ng_jobs_wait. */
    VkPipeline pipeline;
    VkResult result;
    ng_vk_pipeline_entry *next;
};

static void entry_destroy(ng_context *c, ng_vk_pipeline_entry *e) {
    if (e->pipeline) vkDestroyPipeline(c->device, e->pipeline, NULL);
    if (e->layout) vkDestroyPipelineLayout(c->device, e->layout, NULL);
    if (e->set_layout) vkDestroyDescriptorSetLayout(c->device, e->set_layout, NULL);
    if (e->module) vkDestroyShaderModule(c->device, e->module, NULL);
    free(e);
}

void ng_vk_pipelines_wait_all(ng_context *c) { ng_jobs_wait(c->jobs); }

void ng_vk_pipelines_release(ng_context *c) {
    ng_jobs_destroy(c->jobs); /* waits for compiles in flight */
    c->jobs = NULL;
    while (c->pipelines) {
        ng_vk_pipeline_entry *e = c->pipelines;
        c->pipelines = e->next;
        entry_destroy(c, e);
    }
}

nngpu_status ng_vk_pipelines_wait(ng_context *c) {
    ng_jobs_wait(c->jobs);
    const ng_vk_pipeline_entry *failed = NULL; /* the first asked for (the list is newest first) */
    for (const ng_vk_pipeline_entry *e = c->pipelines; e; e = e->next)
        if (e->result != VK_SUCCESS) failed = e;
    if (!failed) return NNGPU_OK;
    char what[128];
    snprintf(what, sizeof what, "creating the pipeline of shader '%s'%s", failed->name,
             failed->inject_failure ? " (injected by NNGPU_VK_FAIL_PIPELINE)" : "");
    return ng_vk_check(failed->result, what, failed->node);
}

VkPipeline ng_vk_pipeline_handle(const ng_vk_pipeline_entry *e) { return e->pipeline; }

/* The job: vkCreateComputePipelines with the entry's constants. */
static void build_pipeline(void *arg) {
    ng_vk_pipeline_entry *e = arg;
    ng_context *c = e->c;
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
    e->result = e->inject_failure ? VK_ERROR_INITIALIZATION_FAILED
                                  : vkCreateComputePipelines(c->device, c->pipeline_cache, 1,
                                                             &ci, NULL, &e->pipeline);
}

/* The module and layouts now; the pipeline as a job. */
static nngpu_status entry_build(ng_context *c, ng_vk_pipeline_entry *e) {
    size_t bytes;
    const uint32_t *code = ng_vk_spirv(e->name, &bytes);
    if (!code) return ng_error(NNGPU_ERR_INTERNAL, "vulkan: no embedded shader '%s'", e->name);
    VkShaderModuleCreateInfo mi = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                   .codeSize = bytes,
                                   .pCode = code};
    NG_CHECK(ng_vk_check(vkCreateShaderModule(c->device, &mi, NULL, &e->module),
                         "vkCreateShaderModule", e->node));
    VkDescriptorSetLayoutBinding b[NG_VK_MAX_BINDINGS];
    for (int i = 0; i < e->n_bindings; i++)
        b[i] = (VkDescriptorSetLayoutBinding){.binding = (uint32_t)i,
                                              .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                              .descriptorCount = 1,
                                              .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT};
    VkDescriptorSetLayoutCreateInfo li = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
                                          .bindingCount = (uint32_t)e->n_bindings,
                                          .pBindings = b};
    NG_CHECK(ng_vk_check(vkCreateDescriptorSetLayout(c->device, &li, NULL, &e->set_layout),
                         "vkCreateDescriptorSetLayout", e->node));
    VkPushConstantRange pr = {.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT, .offset = 0,
                              .size = e->push_size};
    VkPipelineLayoutCreateInfo pli = {.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                      .setLayoutCount = 1,
                                      .pSetLayouts = &e->set_layout,
                                      .pushConstantRangeCount = e->push_size ? 1 : 0,
                                      .pPushConstantRanges = &pr};
    NG_CHECK(ng_vk_check(vkCreatePipelineLayout(c->device, &pli, NULL, &e->layout),
                         "vkCreatePipelineLayout", e->node));
    if (!c->jobs) c->jobs = ng_jobs_create(ng_jobs_default_threads(MAX_COMPILE_THREADS));
    const char *fail = getenv("NNGPU_VK_FAIL_PIPELINE");
    e->inject_failure = fail && strcmp(fail, e->name) == 0;
    e->c = c;
    c->cache_dirty = 1;
    ng_jobs_submit(c->jobs, build_pipeline, e);
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
    ng_vk_pipeline_entry *e = c->pipelines;
    while (e && !(e->n_spec == n_spec && e->n_bindings == n_bindings &&
                  e->push_size == push_size && strcmp(e->name, name) == 0 &&
                  (n_spec == 0 || memcmp(e->spec, spec, (size_t)n_spec * 4) == 0)))
        e = e->next;
    if (!e) {
        e = calloc(1, sizeof *e);
        if (!e) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "vulkan: out of host memory");
        snprintf(e->name, sizeof e->name, "%s", name);
        snprintf(e->node, sizeof e->node, "%s", node);
        e->n_spec = n_spec;
        if (n_spec) memcpy(e->spec, spec, (size_t)n_spec * 4);
        e->n_bindings = n_bindings;
        e->push_size = push_size;
        nngpu_status s = entry_build(c, e);
        if (s != NNGPU_OK) {
            entry_destroy(c, e); /* not submitted: entry_build submits last */
            return s;
        }
        e->next = c->pipelines;
        c->pipelines = e;
    }
    *pipeline = e;
    *layout = e->layout;
    if (set_layout) *set_layout = e->set_layout;
    return NNGPU_OK;
}
