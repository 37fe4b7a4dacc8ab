/* The Gather plan (lower_gather.h). */
#include "lower_gather.h"

#include <stdlib.h>

#include "core/status.h"
#include "lower_util.h"

int ng_gather_supported(const ng_graph *g, const ng_node *n) {
    const ng_tensor *x = ng_in(g, n, 0), *idx = ng_in(g, n, 1), *y = ng_out(g, n, 0);
    if (!ng_lower_f32_ok(x) || !ng_lower_f32_ok(y) || !idx || x->rank < 1) return 0;
    if (ng_axis(ng_attr_int(n, "axis", 0), x->rank) < 0) return 0;
    return idx->dtype == NNGPU_DTYPE_INT32 || (idx->dtype == NNGPU_DTYPE_INT64 && idx->data);
}

nngpu_status ng_gather_plan(const ng_graph *g, const ng_node *n, ng_gather_view *v) {
    const ng_tensor *x = ng_in(g, n, 0), *idx = ng_in(g, n, 1), *y = ng_out(g, n, 0);
    v->axis = ng_axis(ng_attr_int(n, "axis", 0), x->rank);
    v->outer = v->inner = 1;
    v->len = x->dims[v->axis];
    v->n_idx = ng_numel(idx);
    for (int j = 0; j < v->axis; j++) v->outer *= x->dims[j];
    for (int j = v->axis + 1; j < x->rank; j++) v->inner *= x->dims[j];
    if (v->outer * v->n_idx * v->inner != ng_numel(y))
        return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': Gather output '%s' has the wrong size",
                        n->name, y->name);
    return NNGPU_OK;
}

nngpu_status ng_gather_indices(const ng_graph *g, const ng_node *n, const ng_gather_view *v,
                               int32_t **out) {
    const ng_tensor *idx = ng_in(g, n, 1);
    int32_t *ids = malloc(sizeof(int32_t) * (size_t)(v->n_idx ? v->n_idx : 1));
    if (!ids) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': out of host memory", n->name);
    for (int64_t j = 0; j < v->n_idx; j++) {
        int64_t id = ng_const_int(idx, j);
        if (id < 0) id += v->len;
        if (id < 0 || id >= v->len) {
            free(ids);
            return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': index %lld of '%s' is out of range",
                            n->name, (long long)ng_const_int(idx, j), idx->name);
        }
        ids[j] = (int32_t)id;
    }
    *out = ids;
    return NNGPU_OK;
}
