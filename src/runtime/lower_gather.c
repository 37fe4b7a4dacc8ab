/* The Gather and GatherElements plans (lower_gather.h). */
#include "lower_gather.h"

#include <limits.h>
#include <stdlib.h>

#include "core/status.h"
#include "lower_util.h"

/* Indices the kernels can read: int32 or int64, fewer than INT_MAX. */
static int indices_ok(const ng_tensor *idx) {
    return idx && (idx->dtype == NNGPU_DTYPE_INT32 || idx->dtype == NNGPU_DTYPE_INT64) &&
           idx->rank >= 0 && idx->rank <= NNGPU_MAX_DIMS && ng_numel(idx) >= 0 &&
           ng_numel(idx) < INT_MAX / 2;
}

int ng_gather_supported(const ng_graph *g, const ng_node *n) {
    const ng_tensor *x = ng_in(g, n, 0), *idx = ng_in(g, n, 1), *y = ng_out(g, n, 0);
    if (!ng_lower_f32_ok(x) || !ng_lower_f32_ok(y) || !indices_ok(idx) || x->rank < 1) return 0;
    return ng_axis(ng_attr_int(n, "axis", 0), x->rank) >= 0;
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

int ng_gather_elements_supported(const ng_graph *g, const ng_node *n) {
    const ng_tensor *x = ng_in(g, n, 0), *idx = ng_in(g, n, 1), *y = ng_out(g, n, 0);
    if (!ng_lower_f32_ok(x) || !ng_lower_f32_ok(y) || !indices_ok(idx) || x->rank < 1) return 0;
    if (idx->rank != x->rank || y->rank != x->rank) return 0;
    for (int k = 0; k < x->rank; k++)
        if (idx->dims[k] != y->dims[k]) return 0;
    return ng_axis(ng_attr_int(n, "axis", 0), x->rank) >= 0;
}

nngpu_status ng_gather_elements_plan(const ng_graph *g, const ng_node *n,
                                     ng_gather_elements_view *v) {
    const ng_tensor *x = ng_in(g, n, 0), *idx = ng_in(g, n, 1), *y = ng_out(g, n, 0);
    int axis = ng_axis(ng_attr_int(n, "axis", 0), x->rank);
    if (axis < 0 || idx->rank != x->rank || y->rank != x->rank)
        return ng_error(NNGPU_ERR_INVALID_ARG,
                        "node '%s': GatherElements needs data and indices '%s' of one rank "
                        "and an axis in range", n->name, idx->name);
    v->rank = x->rank;
    v->len = x->dims[axis];
    v->n_idx = ng_numel(idx);
    ng_lower_strides(x->rank, x->dims, v->xs);
    v->axis_stride = v->xs[axis];
    v->xs[axis] = 0;
    for (int k = 0; k < x->rank; k++) {
        v->dims[k] = y->dims[k];
        if (idx->dims[k] != y->dims[k] || (k != axis && y->dims[k] > x->dims[k]))
            return ng_error(NNGPU_ERR_INVALID_ARG,
                            "node '%s': GatherElements indices '%s' do not fit the data", n->name,
                            idx->name);
    }
    return NNGPU_OK;
}

nngpu_status ng_gather_indices(const ng_graph *g, const ng_node *n, int64_t len, int32_t **out) {
    const ng_tensor *idx = ng_in(g, n, 1);
    int64_t cnt = ng_numel(idx);
    int32_t *ids = malloc(sizeof(int32_t) * (size_t)(cnt ? cnt : 1));
    if (!ids) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': out of host memory", n->name);
    for (int64_t j = 0; j < cnt; j++) {
        int64_t id = ng_const_int(idx, j);
        if (id < 0) id += len;
        if (id < 0 || id >= len) {
            free(ids);
            return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': index %lld of '%s' is out of range",
                            n->name, (long long)ng_const_int(idx, j), idx->name);
        }
        ids[j] = (int32_t)id;
    }
    *out = ids;
    return NNGPU_OK;
}

int ng_gather_index_words(const ng_graph *g, const ng_node *n) {
    const ng_tensor *idx = ng_in(g, n, 1);
    return !idx->data && idx->dtype == NNGPU_DTYPE_INT64 ? 2 : 1;
}
