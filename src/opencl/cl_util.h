/* Small helpers shared by the eltwise/softmax/reduce/data families: shape
 * arithmetic, broadcast descriptors, metadata buffers, argument binding and
 * launches. */
#ifndef NG_CL_UTIL_H
#define NG_CL_UTIL_H

#include "cl_internal.h"
#include "cl_opcodes.h"
#include "runtime/broadcast.h"
#include "runtime/lower_util.h"

/* The backend-neutral shape helpers (runtime/lower_util.h) under the names
 * the OpenCL families use. */
static inline void ng_cl_strides(int rank, const int64_t *dims, int64_t *strides) {
    ng_lower_strides(rank, dims, strides);
}
static inline int ng_cl_float_tensor_ok(const ng_tensor *t) { return ng_lower_f32_ok(t); }
static inline int ng_cl_collapse(int rank, int64_t *dims, int64_t *xs, int64_t *ys) {
    return ng_lower_collapse(rank, dims, xs, ys);
}

/* Fills a NG_META_OPND_SIZE-int operand descriptor (see epilogue.cl) for a
 * tensor of shape (r, d) broadcast to the output (ro, od). Returns 0 when the
 * shapes do not broadcast. */
int ng_cl_bcast_desc(int ro, const int64_t *od, int r, const int64_t *d, cl_int *desc);
/* The same descriptor from a plan b for an output of rank ro. */
void ng_cl_bcast_desc_of(const ng_bcast *b, int ro, cl_int *desc);

/* Writes the output rank/dims into a meta array of NG_META_SIZE ints. */
void ng_cl_meta_dims(cl_int *meta, int rank, const int64_t *dims);

/* A new read-only buffer holding a copy of data, owned by k (not counted as weights). */
nngpu_status ng_cl_meta_upload(ng_context *c, ng_kernel *k, const void *data, size_t bytes,
                               cl_mem *out);

/* Sequential kernel-argument setter that keeps the first error. */
typedef struct ng_cl_args {
    cl_kernel kern;
    cl_uint next;
    const char *node;
    nngpu_status status;
} ng_cl_args;

void ng_cl_args_begin(ng_cl_args *a, cl_kernel kern, const char *node);
void ng_cl_arg(ng_cl_args *a, size_t size, const void *value);
void ng_cl_arg_int(ng_cl_args *a, int64_t v);
void ng_cl_arg_float(ng_cl_args *a, float v);
void ng_cl_arg_mem(ng_cl_args *a, cl_mem m);
/* Binds tensor t as (buffer, offset in elements); _at adds `extra` elements. */
void ng_cl_arg_tensor(ng_cl_args *a, ng_context *c, ng_kernel *k, const ng_graph *g, int t,
                      const ng_binding *bind);
void ng_cl_arg_tensor_at(ng_cl_args *a, ng_context *c, ng_kernel *k, const ng_graph *g, int t,
                         const ng_binding *bind, int64_t extra);
/* Sets an int8 / float8 argument from the first n values (the rest 1). */
void ng_cl_arg_int8(ng_cl_args *a, const int64_t *v, int n);
void ng_cl_arg_float8(ng_cl_args *a, const float *v, int n);
/* Binds n's epilogue arguments (ng_cl_epilogue_args) at the next index; for
 * n NULL or without steps, NULL buffers (the kernel must use -DNG_EPI=0). */
void ng_cl_arg_epilogue(ng_cl_args *a, ng_context *c, ng_kernel *k, const ng_graph *g,
                        const ng_node *n, const ng_binding *bind);

/* Creates kernel `name` from `file` with options, as a new 1-D launch of k
 * with `global` work-items (rounded up to local when local > 0). */
nngpu_status ng_cl_launch_add(ng_context *c, ng_kernel *k, const char *file, const char *name,
                              const char *options, size_t global, size_t local,
                              cl_kernel *out);

/* CPU row kernels (shaders/opencl/rows.cl). Output columns of a row whose
 * k-wide window at stride s lies inside the w-wide input row with left
 * padding pl (ROW_INTERIOR counts the same), at most ow; the vector width
 * for such an interior: 16, 8 or 4, 0 when shorter than 4. */
int ng_cl_row_interior(int w, int pl, int k, int s, int ow);
int ng_cl_row_vec(int interior);
/* Sets l to (1, ceil(oh / rows), planes) work-items, a group being one
 * plane's rows when that fits the device. */
void ng_cl_launch_plane_rows(const ng_context *c, ng_cl_launch *l, int oh, int rows, size_t planes);

/* "+relu"-style suffix for k->name from the node's epilogue. */
void ng_cl_kernel_name(ng_kernel *k, const ng_node *n, const char *base);

#endif
