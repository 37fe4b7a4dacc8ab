/* Internals shared by the Vulkan backend's files: the context, memory,
 * pipelines, prepared kernels (dispatches) and the epilogue helpers.
 * One file per kernel family (vk_conv.c, vk_gemm.c, vk_eltwise.c, ...), each
 * exporting a supports/prepare pair listed in vk_families.c — the same shape
 * as the OpenCL backend. Tensors are bound as whole buffers; element offsets
 * and shapes travel in push constants; tunables and the fused epilogue are
 * specialization constants. */
#ifndef NG_VK_INTERNAL_H
#define NG_VK_INTERNAL_H

#include <vulkan/vulkan.h>

#include "runtime/backend.h"
#include "runtime/params.h"
#include "../../shaders/vulkan/epilogue_ops.h" /* op codes, epilogue layout */

/* A sub-allocation of one of the context's large device allocations. */
typedef struct ng_vk_block ng_vk_block;

typedef struct ng_vk_const ng_vk_const;

struct ng_buffer {
    VkBuffer buf;
    ng_vk_block *block;
    VkDeviceSize offset; /* in block */
    VkDeviceSize size;
    ng_vk_const *shared; /* a view of a constant the device's contexts share */
};

typedef struct ng_vk_pipeline_entry ng_vk_pipeline_entry;
typedef struct ng_vk_pipeline_ref ng_vk_pipeline_ref;
typedef struct ng_vk_shared ng_vk_shared;
typedef struct ng_jobs ng_jobs;

/* A session's Vulkan state. The device (instance, VkDevice, queue, pipeline
 * cache, compiled pipelines) is shared by every context on it in the process
 * (vk_shared.c); memory, descriptor pools, command buffers, the fence and the
 * compile threads are the context's own. device, phys, queue_family, limits,
 * info are copies of the shared device's, for the kernel families. */
struct ng_context {
    ng_vk_shared *shared;
    VkPhysicalDevice phys;
    VkDevice device;
    uint32_t queue_family;
    VkCommandPool cmd_pool;
    VkCommandBuffer cmd;
    VkFence fence;
    int in_flight;                /* submitted, fence not yet waited for */
    VkQueryPool timestamps;       /* 2 per dispatch when profiling */
    double timestamp_period_ns;
    nngpu_device_info info;
    nngpu_options opts;
    VkPhysicalDeviceMemoryProperties mem_props;
    ng_vk_block *blocks;          /* device-local allocations, sub-allocated */
    ng_buffer *staging;           /* host-visible, for inputs and outputs */
    ng_vk_pipeline_ref *refs;     /* the shared pipelines this context uses (vk_pipeline.c) */
    int n_refs, cap_refs;
    ng_jobs *jobs;                /* threads compiling pipelines (vk_pipeline.c) */
    size_t weight_bytes;
    size_t alloc_limit;           /* NNGPU_VK_ALLOC_LIMIT (bytes) for fault tests; 0 none */
    size_t allocated;
    /* The run being recorded: kernels enqueued since the last finish; when a
     * run enqueues the same kernels as the one before, its recorded command
     * buffer is submitted again. */
    ng_kernel **pending;
    int n_pending, cap_pending;
    ng_kernel **recorded;
    int n_recorded;
    /* Core state (vk_backend.c, vk_memory.c, vk_command.c). */
    int device_index;             /* N in vulkan:N */
    VkPhysicalDeviceLimits limits;
    uint32_t mem_type;            /* memory type of the device blocks */
    int mem_mapped;               /* blocks host-visible + coherent (UMA): transfers memcpy */
    VkCommandBuffer xfer_cmd;     /* staging copies */
    uint32_t query_cap;           /* timestamps in the query pool */
    int recorded_valid;           /* c->cmd holds the recorded list */
    int recorded_prof;            /* ... recorded with timestamp writes */
    int can_profile;              /* options.profiling at creation */
    int next_block_id;
    int half;                     /* preparing an fp16 layer on its float32 view: float
                                     tensors are float16 in memory; NG_VK_HALF_STORAGE:
                                     shaders the _f16 variants, NG_VK_HALF_MATH: _h16 */
    int half_math;                /* fp16 layers compute in half (vk_backend.c) */
};

/* ng_context.half while preparing an fp16 layer: float16 storage with float32
 * arithmetic (the _f16 shaders), or with float16 arithmetic (_h16). */
#define NG_VK_HALF_STORAGE 1
#define NG_VK_HALF_MATH 2

#define NG_VK_MAX_BINDINGS 12
#define NG_VK_MAX_PUSH 128
#define NG_VK_MAX_DISPATCHES 32
#define NG_VK_MAX_OWNED 16

typedef struct ng_vk_dispatch {
    const ng_vk_pipeline_entry *pipeline; /* shared; its VkPipeline: ng_vk_pipeline_handle */
    VkPipelineLayout layout;
    VkDescriptorSet set;
    uint32_t groups[3];
    uint32_t push_size;
    unsigned char push[NG_VK_MAX_PUSH];
    /* Arena byte ranges it reads and writes, for barriers only where a
     * dependency needs one. */
    int n_reads;
    VkDeviceSize read_lo[NG_VK_MAX_BINDINGS], read_hi[NG_VK_MAX_BINDINGS];
    VkDeviceSize write_lo, write_hi;
    uint32_t query;               /* first of its two timestamps */
} ng_vk_dispatch;

struct ng_kernel {
    char name[96];                /* "conv2d_direct+relu" */
    char node_name[64];
    const char *params_source;
    ng_params_record tuning;  /* the lookup's family, signature, params (for the tuner) */
    VkDescriptorPool desc_pool;
    int n_dispatches;
    ng_vk_dispatch d[NG_VK_MAX_DISPATCHES];
    int n_owned;                  /* buffers this layer owns: weights, metadata */
    ng_buffer *owned[NG_VK_MAX_OWNED];
    double last_ms;
};

/* Maps a VkResult to a status naming `what` and the node (NULL allowed):
 * VK_ERROR_OUT_OF_*_MEMORY -> NNGPU_ERR_OUT_OF_MEMORY, VK_ERROR_DEVICE_LOST
 * and others -> NNGPU_ERR_DEVICE. */
nngpu_status ng_vk_check(VkResult r, const char *what, const char *node_name);

/* Embedded SPIR-V (generated from the shaders/vulkan .comp files at build time). */
const uint32_t *ng_vk_spirv(const char *name, size_t *size_bytes);

/* A compute pipeline for shader `name` with specialization constants
 * spec[0..n_spec) (constant_id = index), n_bindings storage buffers and
 * push_size bytes of push constants, for layer `node` (named if it fails):
 * made once per device and key in the process and shared by every context
 * that asks (vk_pipeline.c). Its layouts are ready at once; the VkPipeline
 * may still be compiling in the background: ng_vk_pipeline_handle is valid
 * after ng_vk_pipelines_wait returned NNGPU_OK. */
nngpu_status ng_vk_pipeline_get(ng_context *c, const char *name, const int32_t *spec, int n_spec,
                                int n_bindings, uint32_t push_size, const char *node,
                                const ng_vk_pipeline_entry **pipeline, VkPipelineLayout *layout,
                                VkDescriptorSetLayout *set_layout);
/* Waits for the compiles; the first failed pipeline's error (naming the shader
 * and the layer), also on later calls. */
nngpu_status ng_vk_pipelines_wait(ng_context *c);
VkPipeline ng_vk_pipeline_handle(const ng_vk_pipeline_entry *e);

/* Device buffers (sub-allocated) and host transfers through staging. */
nngpu_status ng_vk_buffer_create(ng_context *c, VkDeviceSize bytes, ng_buffer **out);
void ng_vk_buffer_destroy(ng_context *c, ng_buffer *b);
/* Uploads host data into a new buffer owned by k (counted as weights); from
 * 64 KiB on it is shared with the device's other contexts that upload the
 * same bytes (vk_consts.c). Uploaded buffers are read-only. */
nngpu_status ng_vk_upload(ng_context *c, ng_kernel *k, const void *data, size_t bytes,
                          ng_buffer **out);

/* What a constant is made from: src_bytes of src turned into the uploaded
 * bytes by `recipe` (a name with every parameter of the making), so that
 * equal sources and recipes make equal buffers. */
typedef struct ng_vk_const_source {
    const void *src;
    size_t src_bytes;
    const char *recipe;
} ng_vk_const_source;

/* The same with the data written by fill(arg, dst) (bytes of it): straight
 * into host-visible device memory where the buffer maps, else through
 * staging. With `from` (not NULL) a large buffer is shared as above and fill
 * runs only when no other context made it. */
nngpu_status ng_vk_upload_with(ng_context *c, ng_kernel *k, size_t bytes,
                               void (*fill)(void *arg, void *dst), void *arg,
                               const ng_vk_const_source *from, ng_buffer **out);

/* Uploads float32 data (bytes of float32) as the layer's float storage:
 * float16 while c->half. */
nngpu_status ng_vk_upload_floats(ng_context *c, ng_kernel *k, const float *data, size_t bytes,
                                 ng_buffer **out);
/* Bytes tensor t takes in device memory (float16 for float tensors while c->half). */
size_t ng_vk_tensor_bytes(const ng_context *c, const ng_tensor *t);

/* The buffer and element offset (float elements) of tensor t for a kernel;
 * constants are uploaded into k. */
nngpu_status ng_vk_tensor_arg(ng_context *c, ng_kernel *k, const ng_graph *g, int t,
                              const ng_binding *bind, ng_buffer **buf, uint32_t *offset_elems);

/* Adds a dispatch of `pipeline` to k with its buffers (whole-buffer
 * bindings 0..n-1), push constants and group counts; allocates and writes
 * its descriptor set. reads/writes: arena byte ranges for hazard tracking. */
nngpu_status ng_vk_dispatch_add(ng_context *c, ng_kernel *k, const char *shader,
                                const int32_t *spec, int n_spec, ng_buffer *const *buffers,
                                int n_buffers, const void *push, uint32_t push_size,
                                const uint32_t groups[3]);

/* Optional, right after ng_vk_dispatch_add: narrows the last dispatch's
 * hazard ranges to the tensors it reads (reads[0..n_reads), ids in g) and
 * the one it writes (-1: none), so barriers go only where a dependency needs
 * one. Without it every binding counts as read and written whole. */
void ng_vk_dispatch_tensors(ng_context *c, ng_kernel *k, const ng_graph *g,
                            const ng_binding *bind, const int *reads, int n_reads, int write);

/* Work spread over a 2-D grid of groups of `wg` invocations for `items`
 * invocations (shaders/vulkan/grid.glsl); groups[2] = 1. NOTE (core): a
 * shader must #include "grid.glsl" AFTER its layout(local_size_x_id ...) in;
 * line: before it, gl_WorkGroupSize silently reads (1,1,1) and every
 * invocation past the first work-group indexes wrongly. */
void ng_vk_groups_1d(const ng_context *c, uint64_t items, uint32_t wg,
                     uint32_t groups[3]); /* defined in vk_command.c (core) */

/* Fused epilogues: shaders/vulkan/epilogue.glsl applies the node's steps;
 * their op codes and operand modes are specialization constants starting at
 * constant_id `first_spec`, operand strides go in push constants. */
int ng_vk_epilogue_supported(const ng_graph *g, const ng_node *n);
void ng_vk_epilogue_name(const ng_node *n, char *name, size_t cap);

/* The epilogue's push fields: NG_EPI_PUSH_FIELDS (shaders/vulkan/
 * epilogue_ops.h), the last member of a shader's push struct. */
typedef struct ng_vk_epi_push {
    uint32_t off[2];   /* operand element offsets */
    uint32_t inner[2]; /* BLOCK-mode inner / count per operand slot */
    uint32_t count[2];
} ng_vk_epi_push;

/* Fills node n's epilogue for a shader: the NG_VK_EPI_SPECS specialization
 * constants at spec[0..) (the shader's EPI_SPEC_BASE), its
 * NG_VK_EPI_BINDINGS buffers at buffers[0..) (its EPI_BINDING_BASE) and the
 * push fields. n NULL or without steps: a no-op epilogue bound to `dummy`
 * (any buffer of the dispatch; never read). NNGPU_ERR_UNSUPPORTED, naming
 * the node, for epilogues ng_vk_epilogue_supported rejects. */
nngpu_status ng_vk_epilogue_args(ng_context *c, ng_kernel *k, const ng_graph *g,
                                 const ng_node *n, const ng_binding *bind, ng_buffer *dummy,
                                 int32_t *spec, ng_buffer **buffers, ng_vk_epi_push *push);

typedef struct ng_vk_family {
    const char *name;
    int (*supports)(ng_context *c, const ng_graph *g, const ng_node *n);
    nngpu_status (*prepare)(ng_context *c, const ng_graph *g, const ng_node *n,
                            const ng_binding *bind, ng_kernel *k);
} ng_vk_family;

extern const ng_vk_family *const ng_vk_families[]; /* NULL-terminated (vk_families.c) */

#endif
