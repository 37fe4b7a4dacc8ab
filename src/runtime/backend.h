/* The one interface every device backend (OpenCL, Vulkan) implements.
 * The runtime owns the graph, the memory plan and the schedule; a backend
 * owns its device objects: buffers, programs, kernels, queues. */
#ifndef NG_BACKEND_H
#define NG_BACKEND_H

#include "graph/ir.h"
#include "nngpu/nngpu.h"
#include "runtime/params.h"

typedef struct ng_context ng_context; /* a backend's per-session device state */
typedef struct ng_buffer ng_buffer;   /* a device allocation */
typedef struct ng_kernel ng_kernel;   /* one prepared layer: program(s) + bound arguments */

/* Where a non-constant tensor lives: a buffer and a byte offset in it. */
typedef struct ng_binding {
    ng_buffer *buf;
    size_t offset;
} ng_binding;

typedef struct ng_backend {
    const char *name;  /* "opencl" */
    nngpu_backend_kind kind;

    int (*device_count)(void);
    nngpu_status (*device_info)(int backend_index, nngpu_device_info *out);

    nngpu_status (*context_create)(int backend_index, const nngpu_options *o, ng_context **out);
    void (*context_destroy)(ng_context *c);

    nngpu_status (*buffer_create)(ng_context *c, size_t bytes, ng_buffer **out);
    void (*buffer_destroy)(ng_context *c, ng_buffer *b);
    /* Blocking transfers. */
    nngpu_status (*buffer_write)(ng_context *c, ng_buffer *b, size_t offset, size_t bytes,
                                 const void *src);
    nngpu_status (*buffer_read)(ng_context *c, ng_buffer *b, size_t offset, size_t bytes,
                                void *dst);

    /* 1 when the device runs node n (with its epilogue) as given. */
    int (*node_supported)(ng_context *c, const ng_graph *g, const ng_node *n);
    /* Builds the layer's kernels, uploads the constants it reads (weights may be
     * re-laid out), binds arguments. bind[t] gives the storage of every
     * non-constant tensor t. Errors name the node. */
    nngpu_status (*node_prepare)(ng_context *c, const ng_graph *g, const ng_node *n,
                                 const ng_binding *bind, ng_kernel **out);
    /* Optional: after the session's last node_prepare. A backend that builds
     * kernels in the background (Vulkan pipelines) waits for them here; the
     * first failure, naming its node, fails the session. */
    nngpu_status (*prepare_done)(ng_context *c);
    nngpu_status (*kernel_enqueue)(ng_context *c, ng_kernel *k);
    void (*kernel_destroy)(ng_context *c, ng_kernel *k);
    /* "conv2d_direct", "gemm_tiled+bias+relu": what the layer runs as. */
    const char *(*kernel_name)(const ng_kernel *k);
    /* Where the kernel's parameters came from ("default", "db:exact", ...). */
    const char *(*kernel_params_source)(const ng_kernel *k);
    /* Optional (NULL: the backend cannot be tuned): the family, signature and
     * parameters the kernel's lookup resolved to (family "" when none). A
     * backend fills it by wrapping node_prepare in ng_params_scope_begin/end
     * (runtime/params.h), which also applies options.params_override. OpenCL
     * has it; the Vulkan backend must add it for nntune to tune it. */
    const ng_params_record *(*kernel_params)(const ng_kernel *k);
    /* Waits for everything enqueued. */
    nngpu_status (*finish)(ng_context *c);
    /* Device time of the kernel's last run in ms (after finish), -1 when not profiled. */
    double (*kernel_time_ms)(ng_context *c, const ng_kernel *k);
    /* Bytes of constants the context uploaded. */
    size_t (*weight_bytes)(const ng_context *c);
    /* Turns per-kernel timing on or off between runs (a context created with
     * options.profiling = 0 never times). */
    void (*set_profiling)(ng_context *c, int on);
    /* Optional (NULL: no): 1 when fp16 layers compute their elementwise math
     * and epilogues in half (the FP16 guard's simulation then rounds each
     * step, fp16_sim.c). */
    int (*half_arithmetic)(const ng_context *c);
} ng_backend;

extern const ng_backend ng_backend_opencl;
extern const ng_backend ng_backend_vulkan;

#endif
