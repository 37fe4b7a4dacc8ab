/* Runtime internals: models, devices and sessions. */
#ifndef NG_RUNTIME_H
#define NG_RUNTIME_H

#include "backend.h"
#include "graph/ir.h"
#include "graph/plan.h"
#include "graph/report.h"

struct nngpu_model {
    ng_graph *g;
    int64_t (*shapes)[NNGPU_MAX_DIMS]; /* per input: shape set by nngpu_model_set_input_shape */
    unsigned char *shape_set;
};

/* A listed device: its backend and its index there. */
typedef struct ng_device_entry {
    const ng_backend *backend;
    nngpu_device_info info;
} ng_device_entry;

/* NULL for the CPU reference ("cpu"). */
nngpu_status ng_device_resolve(const char *selector, const ng_device_entry **out);

typedef struct ng_step {
    int node;
    int on_cpu;     /* runs on the CPU reference */
    int is_view;    /* a reshape whose output aliases its input: nothing to run */
    ng_kernel *kernel;
    char kernel_name[96];
    double time_ms;
} ng_step;

struct nngpu_session {
    ng_graph *g;                 /* the compiled graph (passes applied, planned) */
    const ng_device_entry *dev;  /* NULL: CPU session */
    ng_context *ctx;
    ng_buffer *arena;            /* device arena, or NULL for a CPU session */
    unsigned char *host_arena;   /* CPU session's arena */
    size_t arena_size;           /* bytes, guards included */
    unsigned char *planned;      /* planned[t]: tensor t has arena storage */
    nngpu_options opts;
    int can_profile;             /* created with options.profiling */
    int n_steps;
    ng_step *steps;
    ng_report report;
    ng_plan_stats plan;
    int folded_nodes;
    size_t model_weight_bytes;   /* constants of the imported model */
    char precision[24];          /* what the session runs: "fp32", "fp16", "int8", ... */
    nngpu_session_stats stats;
    struct ng_int8_state *int8;  /* INT8 guard: calibration and fp32 layers across compiles */
};

/* The storage precision of node n as run ("fp32", "fp16", "int8", "int4w",
 * "int8w"), read from its op and dtypes. */
const char *ng_node_precision(const ng_graph *g, const ng_node *n);

/* options.precision FP16: checks the device, keeps layers over the accuracy
 * guard fp32 and rewrites the rest to FLOAT16 with Casts at the boundaries
 * (precision_fp16.c). Call after the device context exists, before lowering. */
nngpu_status ng_session_apply_fp16(nngpu_session *s);

/* Compilation: passes, lowering, planning, kernel preparation. */
nngpu_status ng_session_compile(nngpu_session *s, const nngpu_model *m);
/* Compiles s again from m (same device and options, s->int8 carried over)
 * and swaps the result into s; s is unchanged when that fails. */
nngpu_status ng_session_rebuild(nngpu_session *s, const nngpu_model *m);
/* options.precision INT8 with options.int8_tolerance > 0: checks the compiled
 * session's outputs against fp32 on calibration samples and rebuilds it with
 * the most sensitive layers fp32 until the error holds (int8_guard.c). Call
 * after ng_session_compile; frees s->int8. */
nngpu_status ng_session_guard_int8(nngpu_session *s, const nngpu_model *m);
/* Transfers between the host and a tensor's arena storage. */
nngpu_status ng_session_write(nngpu_session *s, size_t offset, size_t bytes, const void *src);
nngpu_status ng_session_read(nngpu_session *s, size_t offset, size_t bytes, void *dst);

/* Passes disabled by options and NNGPU_DISABLE_PASSES. */
unsigned ng_disabled_passes(const nngpu_options *o);

#endif
