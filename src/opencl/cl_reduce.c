/* The reduce family: ReduceSum / Mean / Max / Min / Prod / L1 / L2 /
 * SumSquare / LogSumExp over any axes (the op is the kernel's RED macro). The
 * input is collapsed to groups of neighbouring dims that are all kept or all
 * reduced; one reduced group runs as (outer, len, inner), more as generic. */
#include <stdio.h>

#include "cl_util.h"
#include "core/status.h"
#include "runtime/lower_reduce.h"

static int reduce_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    (void)c;
    return ng_reduce_supported(g, n) && ng_cl_epilogue_supported(g, n);
}

static nngpu_status reduce_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                   const ng_binding *bind, ng_kernel *k) {
    ng_reduce_view v;
    NG_CHECK(ng_reduce_lower(&c->info, c->opts.tuning_db, g, n, &v, &k->params_source));
    int64_t outer = v.outer, inner = v.inner, n_out = v.n_out;
    int wg = v.wg;

    int rows = v.kind == NG_REDUCE_ROWS;
    int red = v.code;
    char opts[64];
    snprintf(opts, sizeof opts, "-DRED=%d -DWG=%d -DNG_EPI=%d", red, rows ? wg : 1, n->n_epi > 0);
    static const char *names[] = {"reduce_rows", "reduce_strided", "reduce_generic"};
    const char *name = names[v.kind];
    size_t global = rows ? (size_t)(outer * wg) : (size_t)n_out;
    cl_kernel kern;
    NG_CHECK(ng_cl_launch_add(c, k, "reduce.cl", name, opts, global, rows ? (size_t)wg : 0, &kern));
    ng_cl_args a;
    ng_cl_args_begin(&a, kern, k->node_name);
    ng_cl_arg_tensor(&a, c, k, g, n->out[0], bind);
    ng_cl_arg_tensor(&a, c, k, g, n->in[0], bind);
    if (rows) {
        ng_cl_arg_int(&a, v.len);
    } else if (v.kind == NG_REDUCE_STRIDED) {
        ng_cl_arg_int(&a, outer);
        ng_cl_arg_int(&a, v.len);
        ng_cl_arg_int(&a, inner);
    } else {
        ng_cl_arg_int(&a, n_out);
        ng_cl_arg_int(&a, v.nk);
        ng_cl_arg_int8(&a, v.kd, v.nk);
        ng_cl_arg_int8(&a, v.ks, v.nk);
        ng_cl_arg_int(&a, v.nr);
        ng_cl_arg_int8(&a, v.rd, v.nr);
        ng_cl_arg_int8(&a, v.rs, v.nr);
        ng_cl_arg_int(&a, v.len);
    }
    ng_cl_arg_epilogue(&a, c, k, g, n, bind);
    ng_cl_kernel_name(k, n, name);
    return a.status;
}

const ng_cl_family ng_cl_family_reduce = {"reduce", reduce_supports, reduce_prepare};
