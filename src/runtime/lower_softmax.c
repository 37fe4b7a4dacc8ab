/* The softmax family's plan (lower_softmax.h). */
#include "lower_softmax.h"

#include "core/status.h"
#include "lower_util.h"

int ng_softmax_plan(const ng_graph *g, const ng_node *n, int64_t *outer, int64_t *len,
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

int ng_softmax_supported(const ng_graph *g, const ng_node *n) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    int64_t o, l, i;
    return (n->op == NG_OP_SOFTMAX || n->op == NG_OP_LOGSOFTMAX || n->op == NG_OP_HARDMAX) &&
           ng_lower_f32_ok(x) && ng_lower_f32_ok(y) && x->rank > 0 &&
           ng_numel(x) == ng_numel(y) && ng_softmax_plan(g, n, &o, &l, &i);
}

nngpu_status ng_softmax_lower(const nngpu_device_info *dev, const char *db_path,
                              const ng_graph *g, const ng_node *n, ng_softmax_view *v,
                              const char **source) {
    if (!ng_softmax_plan(g, n, &v->outer, &v->len, &v->inner))
        return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': softmax axis out of range", n->name);
    int rows = ng_lower_rows_params(dev, db_path, "softmax", v->outer, v->len, v->inner, &v->wg,
                                    source);
    v->rows = v->inner == 1 && rows && n->op != NG_OP_HARDMAX;
    return NNGPU_OK;
}
