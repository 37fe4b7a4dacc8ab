/* The cast family: Cast between float32 and float16, the boundaries of fp16
 * layers (shaders/opencl/cast.cl). vload_half/vstore_half are core OpenCL
 * 1.2, so it runs wherever fp16 layers are allowed (ng_context.fp16_ok). */
#include <limits.h>

#include "cl_util.h"
#include "core/status.h"

static int shaped(const ng_tensor *t, nngpu_dtype dt) {
    return t && t->dtype == dt && t->rank >= 0 && ng_numel(t) <= INT_MAX;
}

/* 1: float32 -> float16, 0: float16 -> float32, -1: not this family's. */
static int direction(const ng_context *c, const ng_graph *g, const ng_node *n) {
    if (n->op != NG_OP_CAST || n->n_epi || n->n_in < 1 || n->n_out != 1 || !c->fp16_ok) return -1;
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    if (shaped(x, NNGPU_DTYPE_FLOAT32) && shaped(y, NNGPU_DTYPE_FLOAT16)) return 1;
    if (shaped(x, NNGPU_DTYPE_FLOAT16) && shaped(y, NNGPU_DTYPE_FLOAT32)) return 0;
    return -1;
}

static int cast_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    return direction(c, g, n) >= 0;
}

static nngpu_status cast_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                 const ng_binding *bind, ng_kernel *k) {
    int to16 = direction(c, g, n);
    if (to16 < 0) return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': not a float cast", n->name);
    const char *name = to16 ? "cast_f32_f16" : "cast_f16_f32";
    ng_cl_kernel_name(k, n, name);
    int64_t total = ng_numel(ng_out(g, n, 0));
    if (total == 0) return NNGPU_OK;
    cl_kernel kern;
    NG_CHECK(ng_cl_launch_add(c, k, "cast.cl", name, "", (size_t)total, 0, &kern));
    ng_cl_args a;
    ng_cl_args_begin(&a, kern, k->node_name);
    ng_cl_arg_tensor(&a, c, k, g, n->out[0], bind);
    ng_cl_arg_tensor(&a, c, k, g, n->in[0], bind);
    ng_cl_arg_int(&a, total);
    return a.status;
}

const ng_cl_family ng_cl_family_cast = {"cast", cast_supports, cast_prepare};
