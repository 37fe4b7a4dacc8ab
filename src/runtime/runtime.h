/* Runtime internals: models, devices and sessions. */
#ifndef NG_RUNTIME_H
#define NG_RUNTIME_H

#include <pthread.h>
#include <stdatomic.h>

#include "backend.h"
#include "graph/ir.h"
#include "graph/plan.h"
#include "graph/report.h"
#include "graph/subgraph.h"

/* Models made by the API are reference-counted (refs starts at 1): each
 * session holds one, since its graph borrows the model's constants. A model
 * built inside the library (refs 0, e.g. on a stack) is not held: its
 * sessions copy its own constants (ng_graph_clone_detached), so it may go
 * as soon as they are made. */
struct nngpu_model {
    ng_graph *g;
    atomic_int refs;
    pthread_mutex_t mu;        /* over `prepared` (models with refs > 0) */
    struct ng_prepared *prepared; /* graphs after the passes, while sessions use them */
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

/* A layer an accuracy guard may keep fp32: its node's name, its output
 * tensor (the same index in every compile) and how much it alone costs. */
typedef struct ng_guard_layer {
    char *name;
    int y;
    double score;     /* ranks the layers: the highest are kept fp32 first */
    char detail[64];  /* the summary's why: "sensitivity 0.95" */
} ng_guard_layer;

/* What FP16 compilation keeps across the end-to-end guard's recompiles
 * (nngpu_session.fp16): the per-layer errors, simulated once, and the layers
 * the guard keeps fp32. Tensors are those of the graph before the fp16
 * rewrite, which is the same in every compile. */
typedef struct ng_fp16_state {
    int n_tensors;
    double *error;            /* [n_tensors]: simulated relative error of the candidate
                                 writing t (its first output) alone; NULL until simulated */
    int n_samples;            /* the samples it was simulated on */
    double *accumulated;      /* [n_tensors]: the error there with every layer fp16 */
    unsigned char *keep_fp32; /* [n_tensors]: the layer writing t stays fp32 */
    ng_guard_layer *layers;   /* the last compile's fp16 layers, scored */
    int n_layers;
} ng_fp16_state;
void ng_fp16_state_free(ng_fp16_state *st); /* and st itself; NULL is fine */

struct nngpu_session {
    ng_graph *g;                 /* the compiled graph (passes applied, planned); its
                                    constants borrow the model's until a pass replaces them */
    const nngpu_model *model;    /* held (ng_model_retain) while g borrows from it */
    struct ng_prepared *prepared; /* the passes' result g was copied from (prepared.h) */
    const ng_device_entry *dev;  /* NULL: CPU session */
    ng_context *ctx;
    ng_buffer *arena;            /* device arena, or NULL for a CPU session */
    unsigned char *host_arena;   /* CPU session's arena */
    size_t arena_size;           /* bytes, guards included */
    unsigned char *planned;      /* planned[t]: tensor t has arena storage */
    nngpu_options opts;
    char *tuning_db_copy;        /* opts.tuning_db after creation (keep_options) */
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
    ng_fp16_state *fp16;         /* FP16 guard: layer errors and fp32 layers across compiles */
    int guard_measured;          /* 1: an accuracy guard measured guard_error */
    double guard_error;          /* its error vs fp32 on the final compile */
    int tail_node;               /* the RuntimeTail node that made tail_values, or -1 */
    int n_tail_values;
    ng_value *tail_values;       /* the last run's values of its outputs (session_tail.c) */
    struct ng_tail_sessions *tail_sessions; /* device sessions of the tail (tail_sessions.c) */
    int tail_kernels;            /* kernels the last run's tail ran on the device; 0: host */
    int tail_settling;           /* 1: the last run's tail may run differently next time */
    int tail_depth;              /* 0; n: the tail session of a session of depth n - 1 */
    int tail_eager;              /* 1: a tail's first run: new extents compile at once */
};

/* Runs the RuntimeTail node n on the host; its outputs stay in s until the
 * next run. */
nngpu_status ng_session_run_tail(nngpu_session *s, const ng_node *n);
/* The last run's value of run-time-shaped output tensor t; NULL when none. */
const ng_value *ng_session_tail_value(const nngpu_session *s, int t);
void ng_session_tail_free(nngpu_session *s);

/* Evaluates the tail's body on in into out (owned by the caller): on a device
 * session kept for in's extents, made when they come a second time and
 * dropped when it proves slower, else on the host (tail_sessions.c). */
typedef struct ng_tail_sessions ng_tail_sessions;
nngpu_status ng_tail_sessions_eval(nngpu_session *s, const ng_graph *body, const ng_value *in, ng_value *out);
void ng_tail_sessions_free(ng_tail_sessions *t);
/* CLOCK_MONOTONIC in milliseconds. */
double ng_now_ms(void);
/* Output shapes of the last run into outputs[0..n); their data too where
 * outputs[k].data is set (nngpu_session_run's last step). */
nngpu_status ng_session_read_outputs(nngpu_session *s, int n, nngpu_tensor *outputs);

/* The storage precision of node n as run ("fp32", "fp16", "int8", "int4w",
 * "int8w"), read from its op and dtypes. */
const char *ng_node_precision(const ng_graph *g, const ng_node *n);

/* options.precision FP16: checks the device, keeps layers over the accuracy
 * guard (and s->fp16's) fp32 and rewrites the rest to FLOAT16 with Casts at
 * the boundaries (precision_fp16.c). With the end-to-end guard on, the layer
 * errors and layers stay in s->fp16. Call after the device context exists,
 * before lowering. */
nngpu_status ng_session_apply_fp16(nngpu_session *s);
/* The FP16 end-to-end bound: 5 x options.fp16_tolerance when that is in
 * (0, 1), else 0: no end-to-end check (fp16_guard.c). */
double ng_fp16_end_to_end_tolerance(const nngpu_options *o);

/* Whether m is reference-counted (made by the API). */
int ng_model_counted(const nngpu_model *m);
/* m with one more reference held; NULL for a model with refs 0. */
const nngpu_model *ng_model_retain(const nngpu_model *m);
/* Drops a reference (nngpu_model_destroy drops the API's): the last frees m. */
void ng_model_release(const nngpu_model *m);

/* Compilation: passes, lowering, planning, kernel preparation. */
nngpu_status ng_session_compile(nngpu_session *s, const nngpu_model *m);
/* Compiles s again from m (same device and options, s->int8 and s->fp16 carried over)
 * and swaps the result into s; s is unchanged when that fails. */
nngpu_status ng_session_rebuild(nngpu_session *s, const nngpu_model *m);
/* options.precision INT8 with options.int8_tolerance > 0: checks the compiled
 * session's outputs against fp32 on calibration samples and rebuilds it with
 * the most sensitive layers fp32 until the error holds (int8_guard.c). Call
 * after ng_session_compile; frees s->int8. */
nngpu_status ng_session_guard_int8(nngpu_session *s, const nngpu_model *m);
/* options.precision FP16 with the end-to-end bound on: the same check, the
 * layers with the largest simulated fp16 errors kept fp32 until it holds
 * (fp16_guard.c). Call after ng_session_compile; frees s->fp16. */
nngpu_status ng_session_guard_fp16(nngpu_session *s, const nngpu_model *m);
/* Transfers between the host and a tensor's arena storage. */
nngpu_status ng_session_write(nngpu_session *s, size_t offset, size_t bytes, const void *src);
nngpu_status ng_session_read(nngpu_session *s, size_t offset, size_t bytes, void *dst);

/* Passes disabled by options and NNGPU_DISABLE_PASSES. */
unsigned ng_disabled_passes(const nngpu_options *o);

#endif
