/* The cast family (shaders/opencl/cast.cl): Cast between float32 and
 * float16, the boundaries of fp16 layers (vload_half/vstore_half are core
 * OpenCL 1.2, so wherever fp16 layers are allowed: ng_context.fp16_ok), and
 * between float32, integer and bool tensors (attention masks, indices). */
#include <limits.h>
#include <stdio.h>

#include "cl_util.h"
#include "core/status.h"

static int shaped(const ng_tensor *t, nngpu_dtype dt) {
    return t && t->dtype == dt && t->rank >= 0 && ng_numel(t) <= INT_MAX;
}

/* 1: float32 -> float16, 0: float16 -> float32, -1: not such a cast. */
static int direction(const ng_context *c, const ng_graph *g, const ng_node *n) {
    if (n->op != NG_OP_CAST || n->n_epi || n->n_in < 1 || n->n_out != 1 || !c->fp16_ok) return -1;
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    if (shaped(x, NNGPU_DTYPE_FLOAT32) && shaped(y, NNGPU_DTYPE_FLOAT16)) return 1;
    if (shaped(x, NNGPU_DTYPE_FLOAT16) && shaped(y, NNGPU_DTYPE_FLOAT32)) return 0;
    return -1;
}

/* The OpenCL type of a tensor cast_convert moves, NULL for others. */
static const char *cl_type(nngpu_dtype t) {
    switch (t) {
    case NNGPU_DTYPE_FLOAT32: return "float";
    case NNGPU_DTYPE_INT64: return "long";
    case NNGPU_DTYPE_INT32: return "int";
    case NNGPU_DTYPE_INT8: return "char";
    case NNGPU_DTYPE_UINT8:
    case NNGPU_DTYPE_BOOL: return "uchar";
    default: return NULL;
    }
}

/* Whether cast_convert runs node n: float32, integers and bool, but float32
 * into 8-bit integers (out-of-range values differ between implementations). */
static int convertible(const ng_graph *g, const ng_node *n) {
    if (n->op != NG_OP_CAST || n->n_epi || n->n_in < 1 || n->n_out != 1) return 0;
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    if (!x || !y || !shaped(x, x->dtype) || !cl_type(x->dtype) || !cl_type(y->dtype)) return 0;
    return !(x->dtype == NNGPU_DTYPE_FLOAT32 &&
             (y->dtype == NNGPU_DTYPE_INT8 || y->dtype == NNGPU_DTYPE_UINT8));
}

static int cast_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    return direction(c, g, n) >= 0 || convertible(g, n);
}

static nngpu_status cast_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                 const ng_binding *bind, ng_kernel *k) {
    int to16 = direction(c, g, n);
    if (to16 < 0 && !convertible(g, n))
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': not a cast this device runs", n->name);
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    const char *name = to16 > 0 ? "cast_f32_f16" : to16 == 0 ? "cast_f16_f32" : "cast_convert";
    char opts[96] = "";
    if (to16 < 0)
        snprintf(opts, sizeof opts, "-DSRC_T=%s -DDST_T=%s -DTO_BOOL=%d", cl_type(x->dtype),
                 cl_type(y->dtype), y->dtype == NNGPU_DTYPE_BOOL);
    ng_cl_kernel_name(k, n, name);
    int64_t total = ng_numel(y);
    if (total == 0) return NNGPU_OK;
    cl_kernel kern;
    NG_CHECK(ng_cl_launch_add(c, k, "cast.cl", name, opts, (size_t)total, 0, &kern));
    ng_cl_args a;
    ng_cl_args_begin(&a, kern, k->node_name);
    ng_cl_arg_tensor(&a, c, k, g, n->out[0], bind);
    ng_cl_arg_tensor(&a, c, k, g, n->in[0], bind);
    ng_cl_arg_int(&a, total);
    return a.status;
}

const ng_cl_family ng_cl_family_cast = {"cast", cast_supports, cast_prepare};
