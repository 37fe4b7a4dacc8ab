/* The softmax family: Softmax, LogSoftmax, Hardmax as (outer, len, inner); opset < 13 coerces to
 * 2-D at `axis` (default 1), opset >= 13 normalizes one axis (default -1). */
#include <stdio.h>
#include <string.h>

#include "cl_util.h"
#include "core/status.h"
#include "runtime/lower_softmax.h"

static int softmax_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    (void)c;
    return ng_softmax_supported(g, n) && ng_cl_epilogue_supported(g, n);
}

static nngpu_status softmax_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                    const ng_binding *bind, ng_kernel *k) {
    ng_softmax_view v;
    NG_CHECK(ng_softmax_lower(&c->info, c->opts.tuning_db, g, n, &v, &k->params_source));
    int64_t outer = v.outer, len = v.len, inner = v.inner;
    int wg = v.wg, rows = v.rows;
    /* CPUs: contiguous rows as a work-item each (softmax_rowvec) */
    int rowvec = inner == 1 && n->op != NG_OP_HARDMAX && strcmp(c->info.device_type, "gpu") != 0;

    char opts[80];
    snprintf(opts, sizeof opts, "-DWG=%d -DLOG=%d -DHARD=%d -DNG_EPI=%d", rows ? wg : 1,
             n->op == NG_OP_LOGSOFTMAX, n->op == NG_OP_HARDMAX, n->n_epi > 0);
    cl_kernel kern;
    if (rowvec)
        NG_CHECK(ng_cl_launch_add(c, k, "softmax.cl", "softmax_rowvec", opts, (size_t)outer, 0, &kern));
    else if (rows)
        NG_CHECK(ng_cl_launch_add(c, k, "softmax.cl", "softmax_rows", opts, (size_t)(outer * wg),
                                  (size_t)wg, &kern));
    else
        NG_CHECK(ng_cl_launch_add(c, k, "softmax.cl", "softmax_strided", opts,
                                  (size_t)(outer * inner), 0, &kern));
    ng_cl_args a;
    ng_cl_args_begin(&a, kern, k->node_name);
    ng_cl_arg_tensor(&a, c, k, g, n->out[0], bind);
    ng_cl_arg_tensor(&a, c, k, g, n->in[0], bind);
    if (!rows || rowvec) ng_cl_arg_int(&a, outer);
    ng_cl_arg_int(&a, len);
    if (!rows && !rowvec) ng_cl_arg_int(&a, inner);
    ng_cl_arg_epilogue(&a, c, k, g, n, bind);
    int lg = n->op == NG_OP_LOGSOFTMAX;
    ng_cl_kernel_name(k, n, n->op == NG_OP_HARDMAX ? "hardmax"
                            : rowvec ? (lg ? "logsoftmax_rowvec" : "softmax_rowvec")
                            : rows ? (lg ? "logsoftmax_rows" : "softmax_rows")
                                   : (lg ? "logsoftmax_strided" : "softmax_strided"));
    return a.status;
}

const ng_cl_family ng_cl_family_softmax = {"softmax", softmax_supports, softmax_prepare};
