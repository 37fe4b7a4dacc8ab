/* The arg family: ArgMax / ArgMin of a float tensor along one axis into an
 * int64 tensor (reduce.cl's arg_strided). */
#include <stdio.h>

#include "cl_util.h"
#include "core/status.h"

/* (outer, len, inner) around the axis; 0 when not runnable. */
static int arg_view(const ng_graph *g, const ng_node *n, int64_t *outer, int64_t *len, int64_t *inner) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    if ((n->op != NG_OP_ARGMAX && n->op != NG_OP_ARGMIN) || n->n_epi || !ng_cl_float_tensor_ok(x) ||
        !y || y->dtype != NNGPU_DTYPE_INT64)
        return 0;
    int ax = ng_axis(ng_attr_int(n, "axis", 0), x->rank);
    if (ax < 0 || x->dims[ax] < 1) return 0;
    *outer = *inner = 1;
    *len = x->dims[ax];
    for (int i = 0; i < x->rank; i++) {
        if (i < ax) *outer *= x->dims[i];
        else if (i > ax) *inner *= x->dims[i];
    }
    return 1;
}

static int arg_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    (void)c;
    int64_t o, l, i;
    return arg_view(g, n, &o, &l, &i);
}

static nngpu_status arg_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                const ng_binding *bind, ng_kernel *k) {
    int64_t outer, len, inner;
    if (!arg_view(g, n, &outer, &len, &inner))
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': ArgMax/ArgMin view", n->name);
    char opts[64];
    snprintf(opts, sizeof opts, "-DIS_MAX=%d -DLAST=%d", n->op == NG_OP_ARGMAX,
             ng_attr_int(n, "select_last_index", 0) != 0);
    cl_kernel kern;
    NG_CHECK(ng_cl_launch_add(c, k, "reduce.cl", "arg_strided", opts, (size_t)(outer * inner), 0, &kern));
    ng_cl_args a;
    ng_cl_args_begin(&a, kern, k->node_name);
    ng_cl_arg_tensor(&a, c, k, g, n->out[0], bind);
    ng_cl_arg_tensor(&a, c, k, g, n->in[0], bind);
    ng_cl_arg_int(&a, outer);
    ng_cl_arg_int(&a, len);
    ng_cl_arg_int(&a, inner);
    ng_cl_kernel_name(k, n, n->op == NG_OP_ARGMAX ? "argmax" : "argmin");
    return a.status;
}

const ng_cl_family ng_cl_family_arg = {"arg", arg_supports, arg_prepare};
