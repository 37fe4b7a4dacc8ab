/* The reduce family's plan (lower_reduce.h). */
#include "lower_reduce.h"

#include <string.h>

#include "core/status.h"
#include "lower_util.h"

int ng_reduce_code(ng_op op) {
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

int ng_reduce_plan(const ng_graph *g, const ng_node *n, ng_reduce_view *v) {
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
    /* groups of neighbouring dims (size-1 dims dropped) all kept or all reduced */
    int ng = 0, red[NNGPU_MAX_DIMS];
    int64_t size[NNGPU_MAX_DIMS], stride[NNGPU_MAX_DIMS];
    memset(v, 0, sizeof *v);
    v->code = ng_reduce_code(n->op);
    v->len = 1;
    for (int k = 0; k < x->rank; k++) {
        if (mask[k]) v->len *= x->dims[k];
        if (x->dims[k] == 1) continue;
        if (ng > 0 && red[ng - 1] == mask[k]) {
            size[ng - 1] *= x->dims[k];
        } else {
            size[ng] = x->dims[k];
            red[ng++] = mask[k];
        }
    }
    ng_lower_strides(ng, size, stride);
    int first = -1;
    for (int j = 0; j < ng; j++)
        if (red[j] && (j == 0 || !red[j - 1])) {
            v->runs++;
            if (first < 0) first = j;
        }
    v->outer = v->inner = 1;
    for (int j = 0; j < ng; j++) {
        if (red[j]) {
            v->rd[v->nr] = size[j];
            v->rs[v->nr++] = stride[j];
            continue;
        }
        v->kd[v->nk] = size[j];
        v->ks[v->nk++] = stride[j];
        if (first < 0 || j < first) v->outer *= size[j];
        else v->inner *= size[j];
    }
    const ng_tensor *y = ng_out(g, n, 0);
    v->n_out = y ? ng_numel(y) : 0;
    return 1;
}

int ng_reduce_supported(const ng_graph *g, const ng_node *n) {
    ng_reduce_view v;
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    return ng_reduce_code(n->op) >= 0 && ng_lower_f32_ok(x) && ng_numel(x) > 0 &&
           ng_lower_f32_ok(y) && ng_reduce_plan(g, n, &v) && v.n_out * v.len == ng_numel(x);
}

nngpu_status ng_reduce_lower(const nngpu_device_info *dev, const char *db_path, const ng_graph *g,
                             const ng_node *n, ng_reduce_view *v, const char **source) {
    if (!ng_reduce_plan(g, n, v))
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': reduce axes must be constant and in range",
                        n->name);
    int rows = ng_lower_rows_params(dev, db_path, "reduce", v->outer, v->len, v->inner, &v->wg,
                                    source);
    v->kind = v->runs == 1 && v->inner == 1 && rows ? NG_REDUCE_ROWS
              : v->runs <= 1                        ? NG_REDUCE_STRIDED
                                                    : NG_REDUCE_GENERIC;
    return NNGPU_OK;
}
