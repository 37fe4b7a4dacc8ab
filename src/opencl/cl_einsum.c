/* The einsum family: Einsum of one or two float inputs as a direct kernel
 * (shaders/opencl/einsum.cl), labels resolved by ng_infer_einsum. */
#include <stdio.h>

#include "cl_util.h"
#include "core/status.h"
#include "runtime/einsum_plan.h"

/* The plan (src/runtime/einsum_plan.h) for float tensors the kernel indexes. */
static int einsum_plan(const ng_graph *g, const ng_node *n, cl_int *meta, int64_t *n_sum) {
    if (n->op != NG_OP_EINSUM || n->n_main_inputs < 1 || n->n_main_inputs > 2) return 0;
    for (int k = 0; k < n->n_main_inputs; k++)
        if (!ng_cl_float_tensor_ok(ng_in(g, n, k))) return 0;
    return ng_cl_float_tensor_ok(ng_out(g, n, 0)) && ng_einsum_plan(g, n, (int32_t *)meta, n_sum);
}

static int einsum_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    (void)c;
    cl_int meta[NG_EINSUM_META];
    int64_t ns;
    return einsum_plan(g, n, meta, &ns) && ng_cl_epilogue_supported(g, n);
}

static nngpu_status einsum_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                   const ng_binding *bind, ng_kernel *k) {
    cl_int meta[NG_EINSUM_META] = {0};
    int64_t n_sum;
    if (!einsum_plan(g, n, meta, &n_sum))
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': Einsum plan", n->name);
    int two = n->n_main_inputs == 2;
    int64_t total = ng_numel(ng_out(g, n, 0));
    char eopts[1024], opts[1100];
    ng_cl_epilogue_options(g, n, eopts, sizeof eopts);
    snprintf(opts, sizeof opts, "-DTWO=%d %s", two, eopts);
    cl_kernel kern;
    NG_CHECK(ng_cl_launch_add(c, k, "einsum.cl", "einsum", opts, (size_t)total, 0, &kern));
    cl_mem meta_mem;
    NG_CHECK(ng_cl_meta_upload(c, k, meta, sizeof meta, &meta_mem));
    ng_cl_args a;
    ng_cl_args_begin(&a, kern, k->node_name);
    ng_cl_arg_tensor(&a, c, k, g, n->out[0], bind);
    ng_cl_arg_tensor(&a, c, k, g, n->in[0], bind);
    ng_cl_arg_tensor(&a, c, k, g, n->in[two ? 1 : 0], bind);
    ng_cl_arg_mem(&a, meta_mem);
    ng_cl_arg_int(&a, total);
    ng_cl_arg_int(&a, n_sum);
    ng_cl_arg_epilogue(&a, c, k, g, n, bind);
    ng_cl_kernel_name(k, n, "einsum");
    return a.status;
}

const ng_cl_family ng_cl_family_einsum = {"einsum", einsum_supports, einsum_prepare};
