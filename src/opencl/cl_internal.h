/* Internals shared by the OpenCL backend's files: the context, buffers,
 * prepared kernels, the program cache and the epilogue argument helper.
 * One file per kernel family (cl_conv.c, cl_gemm.c, cl_eltwise.c, ...),
 * each exporting a supports/prepare pair listed in cl_families.c. */
#ifndef NG_CL_INTERNAL_H
#define NG_CL_INTERNAL_H

#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <pthread.h>

#include "runtime/backend.h"
#include "runtime/params.h"

struct ng_buffer {
    cl_mem mem;
    size_t size;
};

typedef struct ng_cl_program_entry ng_cl_program_entry;

#define NG_CL_MAX_DEVICES 16

/* The shared device (cl_shared.c): one cl_context and its built programs per
 * device and process, used by every session on that device, so a host's
 * second session (and each test case) builds nothing it built before. */
typedef struct ng_cl_shared {
    int index, users;
    cl_platform_id platform;
    cl_device_id device;
    cl_context ctx;
    nngpu_device_info info;        /* read once for every session */
    int fast_fma;                  /* CL_FP_FMA in the single-precision config */
    pthread_mutex_t mu;            /* guards programs */
    pthread_cond_t built;          /* a build finished (cl_program.c) */
    ng_cl_program_entry *programs; /* programs keyed by (file, options); NULL
                                      program: being built */
} ng_cl_shared;

/* The shared device of OpenCL device `index`, made by its first user. */
nngpu_status ng_cl_shared_acquire(int index, ng_cl_shared **out);
/* The last user's release frees the programs and the context. */
void ng_cl_shared_release(ng_cl_shared *s);
/* Counts a program built (1) or found in a registry (0), for cl_stats.h. */
void ng_cl_shared_count(int built);

struct ng_context {
    ng_cl_shared *shared;
    cl_platform_id platform; /* the shared device's, for short */
    cl_device_id device;
    cl_context ctx;
    cl_command_queue queue;  /* the session's own */
    nngpu_device_info info;
    nngpu_options opts;
    size_t weight_bytes;
    int can_profile;  /* the queue was created with profiling enabled */
    int fp16_ok;      /* fp16 layers allowed: cl_khr_fp16, or NNGPU_OPENCL_FP16_STORAGE=1
                         (storage-only half needs nothing beyond OpenCL 1.2) */
    int fast_fma;     /* CL_FP_FMA in the single-precision config: programs get
                         -DNG_FMA=1 and accumulate with fma() (storage.cl) */
    int half;         /* preparing an fp16 layer on its float32 view: float tensors are
                         half in memory, programs get -DNG_F16=1 (storage.cl) */
};

#define NG_CL_MAX_LAUNCHES 32 /* Concat/Split run one launch per input/output */
#define NG_CL_MAX_OWNED 16

typedef struct ng_cl_launch {
    cl_kernel kernel;
    cl_uint dims;
    size_t global[3];
    size_t local[3];
    int use_local;  /* 0: let the driver pick the work-group size */
    cl_event event; /* last run's event when profiling */
} ng_cl_launch;

struct ng_kernel {
    char name[96];            /* "conv2d_direct+bias+relu" */
    char node_name[64];       /* the node it runs, for errors (set by the backend) */
    const char *params_source;
    ng_params_record tuning;  /* the lookup's family, signature, params (for the tuner) */
    int n_launches;           /* run in order */
    ng_cl_launch launch[NG_CL_MAX_LAUNCHES];
    int n_owned;              /* buffers this layer owns: uploaded weights, metadata */
    cl_mem owned[NG_CL_MAX_OWNED];
    /* An alternative to launches for library calls (CLBlast): called at
     * enqueue when set; it must record its event in *event when profiling. */
    nngpu_status (*custom_enqueue)(ng_context *c, ng_kernel *k, cl_event *event);
    void *custom_state;       /* freed with free() at destroy */
    cl_event custom_event;
};

/* Maps a CL error code to a status (allocation failures ->
 * NNGPU_ERR_OUT_OF_MEMORY, others NNGPU_ERR_DEVICE) with the message
 * "node: what: CL_ERROR_NAME"; NNGPU_OK for CL_SUCCESS. node may be NULL. */
nngpu_status ng_cl_check(cl_int err, const char *what, const char *node_name);
const char *ng_cl_error_name(cl_int err);

/* Devices of every platform, enumerated once (cl_device.c). */
int ng_cl_device_count(void);
nngpu_status ng_cl_device_get(int index, cl_platform_id *platform, cl_device_id *device,
                              nngpu_device_info *info);

/* Releases a shared device's built programs (cl_program.c). */
void ng_cl_programs_release(ng_cl_shared *s);

/* The embedded kernel sources (generated from the .cl files in shaders/opencl). */
const char *ng_cl_source(const char *file_name);

/* Gets kernel `kernel_name` from shaders/opencl/`file` built with `options`
 * ("-DTILE_M=8 ...", plus -DNG_F16=1 while c->half); programs are built once
 * per (file, options) per shared device. Build failures return NNGPU_ERR_DEVICE with the build log. */
nngpu_status ng_cl_kernel_create(ng_context *c, const char *file, const char *kernel_name,
                                 const char *options, cl_kernel *out);

/* Writes p as build options "-DNAME=V ..." into buf (kernels ignore
 * macros they do not use). */
void ng_cl_params_options(const ng_params *p, char *buf, size_t cap);

/* Uploads host data into a new read-only buffer owned by k (counted as weights). */
nngpu_status ng_cl_upload(ng_context *c, ng_kernel *k, const void *data, size_t bytes,
                          cl_mem *out);
/* Uploads float32 data (bytes of float32) as the layer's float storage:
 * half while c->half. */
nngpu_status ng_cl_upload_floats(ng_context *c, ng_kernel *k, const float *data, size_t bytes,
                                 cl_mem *out);
/* A new buffer owned by k (for scratch). */
nngpu_status ng_cl_alloc_owned(ng_context *c, ng_kernel *k, size_t bytes, cl_mem *out);

/* Sets argument `index` of a kernel, mapping CL errors to a status naming the node. */
nngpu_status ng_cl_set_arg(cl_kernel kern, cl_uint index, size_t size, const void *value,
                           const char *node_name);

/* The storage of tensor t of node n for a kernel: its buffer and offset in
 * elements (half elements for float tensors while c->half). Constants are
 * uploaded (once per call) into k. */
nngpu_status ng_cl_tensor_arg(ng_context *c, ng_kernel *k, const ng_graph *g, int t,
                              const ng_binding *bind, cl_mem *mem, cl_int *offset_elems);

/* Epilogues: shaders/opencl/epilogue.h is prepended to every program. It
 * applies the node's ng_epi_step list to a value at output index i. Kernels
 * that support epilogues take, as their last arguments,
 *   __constant int *epi_meta, __global const float *epi_a, int epi_a_off,
 *   __global const float *epi_b, int epi_b_off
 * (two operand tensors at most). ng_cl_epilogue_args sets them from index
 * `first_arg` on, and returns NNGPU_ERR_UNSUPPORTED for epilogues the
 * encoding cannot express. */
nngpu_status ng_cl_epilogue_args(ng_context *c, ng_kernel *k, const ng_graph *g,
                                 const ng_node *n, const ng_binding *bind, cl_kernel kern,
                                 cl_uint first_arg);
int ng_cl_epilogue_supported(const ng_graph *g, const ng_node *n);
/* Build options compiling n's epilogue into the kernel ("-DNG_EPI=1
 * -DEPI_N=.. -DEPI_OP0=.."; "-DNG_EPI=0" without steps), so each distinct
 * epilogue is its own program and unrolls to straight-line code. Kernels
 * built without it interpret the steps from the meta buffer. cap >= 1024
 * holds any epilogue. */
void ng_cl_epilogue_options(const ng_graph *g, const ng_node *n, char *buf, size_t cap);
/* 1 when n has no epilogue or one whose operands are all same-index,
 * scalar, or (vec > 1) blocks whose size vec divides, so kernels may apply
 * it to vectors of vec consecutive outputs starting at a multiple of vec.
 * The options hold -DEPI_VEC_OK=1 when it holds for vec = 0. */
int ng_cl_epilogue_vec_ok(const ng_graph *g, const ng_node *n, int vec);
/* Appends "+bias+relu"-style text for the node's epilogue to name. */
void ng_cl_epilogue_name(const ng_node *n, char *name, size_t cap);

/* Kernel families. */
typedef struct ng_cl_family {
    const char *name;
    int (*supports)(ng_context *c, const ng_graph *g, const ng_node *n);
    nngpu_status (*prepare)(ng_context *c, const ng_graph *g, const ng_node *n,
                            const ng_binding *bind, ng_kernel *k);
} ng_cl_family;

extern const ng_cl_family *const ng_cl_families[]; /* NULL-terminated, in cl_families.c */

#endif
