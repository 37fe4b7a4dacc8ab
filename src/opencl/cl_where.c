/* The where family: Where(cond, x, y) with NumPy broadcasting
 * (shaders/opencl/eltwise.cl, eltwise_where); which nodes and their plans
 * come from src/runtime/lower_eltwise.c. */
#include <stdio.h>

#include "cl_util.h"
#include "core/status.h"
#include "runtime/lower_eltwise.h"

static int where_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    (void)c;
    return ng_where_supported(g, n);
}

static nngpu_status where_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                  const ng_binding *bind, ng_kernel *k) {
    const ng_tensor *y = ng_out(g, n, 0);
    ng_bcast bc[3];
    NG_CHECK(ng_where_plan(g, n, bc));
    cl_int meta[NG_META_SIZE] = {0}; /* operand slots 0-2: their descriptors */
    ng_cl_meta_dims(meta, y->rank, y->dims);
    for (int j = 0; j < 3; j++)
        ng_cl_bcast_desc_of(&bc[j], y->rank, meta + NG_META_OPND + j * NG_META_OPND_SIZE);
    int64_t total = ng_numel(y), vec = 4;
    ng_cl_kernel_name(k, n, "eltwise_where");
    if (total == 0) return NNGPU_OK;
    char opts[96];
    snprintf(opts, sizeof opts, "-DIDX_C=%d -DIDX_A=%d -DIDX_B=%d -DVEC=%d", meta[NG_META_OPND],
             meta[NG_META_OPND + NG_META_OPND_SIZE], meta[NG_META_OPND + 2 * NG_META_OPND_SIZE],
             (int)vec);
    cl_kernel kern;
    NG_CHECK(ng_cl_launch_add(c, k, "eltwise.cl", "eltwise_where", opts,
                              (size_t)((total + vec - 1) / vec), 0, &kern));
    cl_mem meta_mem;
    NG_CHECK(ng_cl_meta_upload(c, k, meta, sizeof meta, &meta_mem));
    ng_cl_args a;
    ng_cl_args_begin(&a, kern, k->node_name);
    ng_cl_arg_tensor(&a, c, k, g, n->out[0], bind);
    for (int j = 0; j < 3; j++) ng_cl_arg_tensor(&a, c, k, g, n->in[j], bind);
    ng_cl_arg_mem(&a, meta_mem);
    ng_cl_arg_int(&a, total);
    return a.status;
}

const ng_cl_family ng_cl_family_where = {"where", where_supports, where_prepare};
