/* The reduce family: ReduceSum / Mean / Max / Min / Prod / L1 / L2 /
 * SumSquare / LogSumExp over any axes (the op is the kernel's RED macro). The
 * input is collapsed to groups of neighbouring dims that are all kept or all
 * reduced; one reduced group runs as (outer, len, inner), more as generic. */
#include <stdio.h>
#include <string.h>

#include "cl_util.h"
#include "core/status.h"

typedef struct reduce_view {
    int n;                 /* groups */
    int64_t size[NNGPU_MAX_DIMS], stride[NNGPU_MAX_DIMS];
    int reduced[NNGPU_MAX_DIMS];
    int64_t len;           /* reduced elements per output */
} reduce_view;

/* 0 when the axes are not constant or out of range. */
static int reduce_view_of(const ng_graph *g, const ng_node *n, reduce_view *v) {
    const ng_tensor *x = ng_in(g, n, 0);
    int64_t axes[NNGPU_MAX_DIMS];
    int na = ng_node_ints(g, n, "axes", 1, axes, NNGPU_MAX_DIMS);
    if (na < 0) return 0;
    int mask[NNGPU_MAX_DIMS] = {0};
    if (na == 0 && !ng_attr_int(n, "noop_with_empty_axes", 0))
        for (int k = 0; k < x->rank; k++) mask[k] = 1;
    for (int j = 0; j < na; j++) {
        int a = ng_axis(axes[j], x->rank);
        if (a < 0) return 0;
        mask[a] = 1;
    }
    memset(v, 0, sizeof *v);
    v->len = 1;
    for (int k = 0; k < x->rank; k++) {
        if (mask[k]) v->len *= x->dims[k];
        if (x->dims[k] == 1) continue;
        if (v->n > 0 && v->reduced[v->n - 1] == mask[k]) {
            v->size[v->n - 1] *= x->dims[k];
        } else {
            v->size[v->n] = x->dims[k];
            v->reduced[v->n++] = mask[k];
        }
    }
    int64_t s = 1;
    for (int k = v->n - 1; k >= 0; k--) {
        v->stride[k] = s;
        s *= v->size[k];
    }
    return 1;
}

/* The kernel's RED code of a reduce op; -1 for other ops. */
static int red_code(ng_op op) {
    switch (op) {
    case NG_OP_REDUCESUM: return 0;
    case NG_OP_REDUCEMEAN: return 1;
    case NG_OP_REDUCEMAX: return 2;
    case NG_OP_REDUCEMIN: return 3;
    case NG_OP_REDUCEPROD: return 4;
    case NG_OP_REDUCEL1: return 5;
    case NG_OP_REDUCEL2: return 6;
    case NG_OP_REDUCESUMSQUARE: return 7;
    case NG_OP_REDUCELOGSUMEXP: return 8;
    default: return -1;
    }
}

static int reduce_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    (void)c;
    reduce_view v;
    const ng_tensor *x = ng_in(g, n, 0);
    return red_code(n->op) >= 0 && ng_cl_float_tensor_ok(x) && ng_numel(x) > 0 &&
           ng_cl_float_tensor_ok(ng_out(g, n, 0)) && reduce_view_of(g, n, &v) &&
           ng_numel(ng_out(g, n, 0)) * v.len == ng_numel(x) && ng_cl_epilogue_supported(g, n);
}

static nngpu_status reduce_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                   const ng_binding *bind, ng_kernel *k) {
    reduce_view v;
    if (!reduce_view_of(g, n, &v))
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': reduce axes must be constant and in range",
                        n->name);
    int n_red = 0, first = -1;
    for (int j = 0; j < v.n; j++)
        if (v.reduced[j] && (j == 0 || !v.reduced[j - 1])) {
            n_red++;
            if (first < 0) first = j;
        }
    int64_t outer = 1, inner = 1;
    for (int j = 0; j < v.n; j++) {
        if (v.reduced[j]) continue;
        if (first < 0 || j < first) outer *= v.size[j];
        else inner *= v.size[j];
    }
    int64_t n_out = ng_numel(ng_out(g, n, 0));

    ng_params p = {0};
    ng_params_set(&p, "WG", 64);
    ng_params_set(&p, "ROWS_MIN_LEN", 64);
    char sig[64];
    snprintf(sig, sizeof sig, "%lldx%lldx%lld", (long long)outer, (long long)v.len, (long long)inner);
    ng_params_lookup(&c->info, c->opts.tuning_db, "reduce", sig, &p);
    k->params_source = p.source;
    int wg = ng_params_get(&p, "WG", 64);
    if (wg < 1 || (wg & (wg - 1))) wg = 64;
    while ((size_t)wg > c->info.max_work_group_size && wg > 1) wg >>= 1;
    int rows = n_red == 1 && inner == 1 && v.len >= ng_params_get(&p, "ROWS_MIN_LEN", 64) && wg > 1;

    int red = red_code(n->op);
    char opts[64];
    snprintf(opts, sizeof opts, "-DRED=%d -DWG=%d -DNG_EPI=%d", red, rows ? wg : 1, n->n_epi > 0);
    const char *name = rows ? "reduce_rows" : n_red <= 1 ? "reduce_strided" : "reduce_generic";
    size_t global = rows ? (size_t)(outer * wg) : (size_t)n_out;
    cl_kernel kern;
    NG_CHECK(ng_cl_launch_add(c, k, "reduce.cl", name, opts, global, rows ? (size_t)wg : 0, &kern));
    ng_cl_args a;
    ng_cl_args_begin(&a, kern, k->node_name);
    ng_cl_arg_tensor(&a, c, k, g, n->out[0], bind);
    ng_cl_arg_tensor(&a, c, k, g, n->in[0], bind);
    if (rows) {
        ng_cl_arg_int(&a, v.len);
    } else if (n_red <= 1) {
        ng_cl_arg_int(&a, outer);
        ng_cl_arg_int(&a, v.len);
        ng_cl_arg_int(&a, inner);
    } else {
        int64_t kd[8], ks[8], rd[8], rs[8];
        int nk = 0, nr = 0;
        for (int j = 0; j < v.n; j++) {
            if (v.reduced[j]) {
                rd[nr] = v.size[j];
                rs[nr++] = v.stride[j];
            } else {
                kd[nk] = v.size[j];
                ks[nk++] = v.stride[j];
            }
        }
        ng_cl_arg_int(&a, n_out);
        ng_cl_arg_int(&a, nk);
        ng_cl_arg_int8(&a, kd, nk);
        ng_cl_arg_int8(&a, ks, nk);
        ng_cl_arg_int(&a, nr);
        ng_cl_arg_int8(&a, rd, nr);
        ng_cl_arg_int8(&a, rs, nr);
        ng_cl_arg_int(&a, v.len);
    }
    ng_cl_arg_epilogue(&a, c, k, g, n, bind);
    ng_cl_kernel_name(k, n, name);
    return a.status;
}

const ng_cl_family ng_cl_family_reduce = {"reduce", reduce_supports, reduce_prepare};
