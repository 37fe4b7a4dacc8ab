/* The softmax family: Softmax, LogSoftmax, Hardmax as (outer, len, inner); opset < 13 coerces to
 * 2-D at `axis` (default 1), opset >= 13 normalizes one axis (default -1). */
#include <stdio.h>

#include "cl_util.h"
#include "core/status.h"

/* 0 when the axis is out of range. */
static int softmax_view(const ng_graph *g, const ng_node *n, int64_t *outer, int64_t *len,
                        int64_t *inner) {
    const ng_tensor *x = ng_in(g, n, 0);
    int r = x->rank;
    int axis = ng_axis(ng_attr_int(n, "axis", n->opset < 13 ? 1 : -1), r);
    if (axis < 0) return 0;
    *outer = *len = *inner = 1;
    for (int k = 0; k < axis; k++) *outer *= x->dims[k];
    if (n->opset < 13) {
        for (int k = axis; k < r; k++) *len *= x->dims[k];
    } else {
        *len = x->dims[axis];
        for (int k = axis + 1; k < r; k++) *inner *= x->dims[k];
    }
    return *len > 0;
}

static int softmax_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    (void)c;
    int64_t o, l, i;
    return (n->op == NG_OP_SOFTMAX || n->op == NG_OP_LOGSOFTMAX || n->op == NG_OP_HARDMAX) &&
           ng_cl_float_tensor_ok(ng_in(g, n, 0)) &&
           ng_cl_float_tensor_ok(ng_out(g, n, 0)) && ng_in(g, n, 0)->rank > 0 &&
           ng_numel(ng_in(g, n, 0)) == ng_numel(ng_out(g, n, 0)) &&
           softmax_view(g, n, &o, &l, &i) && ng_cl_epilogue_supported(g, n);
}

static nngpu_status softmax_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                    const ng_binding *bind, ng_kernel *k) {
    int64_t outer, len, inner;
    if (!softmax_view(g, n, &outer, &len, &inner))
        return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': softmax axis out of range", n->name);
    ng_params p = {0};
    ng_params_set(&p, "WG", 64);
    ng_params_set(&p, "ROWS_MIN_LEN", 64); /* rows at least this long use a work-group each */
    char sig[64];
    snprintf(sig, sizeof sig, "%lldx%lldx%lld", (long long)outer, (long long)len, (long long)inner);
    ng_params_lookup(&c->info, c->opts.tuning_db, "softmax", sig, &p);
    k->params_source = p.source;
    int wg = ng_params_get(&p, "WG", 64);
    if (wg < 1 || (wg & (wg - 1))) wg = 64;
    while ((size_t)wg > c->info.max_work_group_size && wg > 1) wg >>= 1;
    int rows = inner == 1 && len >= ng_params_get(&p, "ROWS_MIN_LEN", 64) && wg > 1 &&
               n->op != NG_OP_HARDMAX;

    char opts[80];
    snprintf(opts, sizeof opts, "-DWG=%d -DLOG=%d -DHARD=%d -DNG_EPI=%d", rows ? wg : 1,
             n->op == NG_OP_LOGSOFTMAX, n->op == NG_OP_HARDMAX, n->n_epi > 0);
    cl_kernel kern;
    if (rows)
        NG_CHECK(ng_cl_launch_add(c, k, "softmax.cl", "softmax_rows", opts, (size_t)(outer * wg),
                                  (size_t)wg, &kern));
    else
        NG_CHECK(ng_cl_launch_add(c, k, "softmax.cl", "softmax_strided", opts,
                                  (size_t)(outer * inner), 0, &kern));
    ng_cl_args a;
    ng_cl_args_begin(&a, kern, k->node_name);
    ng_cl_arg_tensor(&a, c, k, g, n->out[0], bind);
    ng_cl_arg_tensor(&a, c, k, g, n->in[0], bind);
    if (!rows) ng_cl_arg_int(&a, outer);
    ng_cl_arg_int(&a, len);
    if (!rows) ng_cl_arg_int(&a, inner);
    ng_cl_arg_epilogue(&a, c, k, g, n, bind);
    int lg = n->op == NG_OP_LOGSOFTMAX;
    ng_cl_kernel_name(k, n, n->op == NG_OP_HARDMAX ? "hardmax"
                            : rows ? (lg ? "logsoftmax_rows" : "softmax_rows")
                                   : (lg ? "logsoftmax_strided" : "softmax_strided"));
    return a.status;
}

const ng_cl_family ng_cl_family_softmax = {"softmax", softmax_supports, softmax_prepare};
