/* Shape inference of ops whose output extent the values decide: NonZero,
 * NonMaxSuppression and Unique. With constant inputs the extent is exact (NonZero counts);
 * otherwise the output is dynamic (ng_tensor.is_dynamic): its buffer holds the
 * upper bound and each run reports the extent. */
#include "infer_internal.h"
#include "ref/ref.h"

#define ERR(...) ng_infer_err(n, __VA_ARGS__)

static void set_dynamic_out(ng_graph *g, ng_node *n, int k, int axis) {
    ng_tensor *y = ng_out(g, n, k);
    if (!y) return;
    y->is_dynamic = 1;
    y->dyn_axis = axis;
    y->dyn_len = y->dims[axis];
}

static void set_dynamic(ng_graph *g, ng_node *n, int axis) { set_dynamic_out(g, n, 0, axis); }

static nngpu_status infer_nonzero(ng_graph *g, ng_node *n) {
    const ng_tensor *x;
    NG_CHECK(ng_infer_need(g, n, 0, &x));
    if (x->dtype == NNGPU_DTYPE_INT4 || x->dtype == NNGPU_DTYPE_UINT4)
        return ERR(NNGPU_ERR_UNSUPPORTED, "input '%s' is %s", x->name, nngpu_dtype_name(x->dtype));
    int64_t cnt = ng_numel(x), nz = 0;
    if (x->data)
        for (int64_t i = 0; i < cnt; i++) nz += ng_const_double(x, i) != 0;
    int64_t d[2] = {x->rank, x->data ? nz : cnt};
    ng_infer_set_out(g, n, 0, NNGPU_DTYPE_INT64, 2, d);
    if (!x->data) set_dynamic(g, n, 1);
    return NNGPU_OK;
}

/* A scalar of optional input i: its constant value, def when omitted, or
 * `unknown` when it is not constant. */
static double scalar_input(const ng_graph *g, const ng_node *n, int i, double def,
                           double unknown) {
    const ng_tensor *t = ng_infer_opt(g, n, i);
    if (!t || ng_numel(t) == 0) return def;
    return t->data ? ng_const_double(t, 0) : unknown;
}

/* boxes [B, N, 4], scores [B, C, N] -> selected [<= B*C*min(N, max_per_class), 3]
 * (batch, class, box). */
static nngpu_status infer_nms(ng_graph *g, ng_node *n) {
    const ng_tensor *boxes, *scores;
    NG_CHECK(ng_infer_need(g, n, 0, &boxes));
    NG_CHECK(ng_infer_need(g, n, 1, &scores));
    if (boxes->rank != 3 || boxes->dims[2] != 4)
        return ERR(NNGPU_ERR_INVALID_ARG, "boxes '%s' must be [batches, boxes, 4]", boxes->name);
    if (scores->rank != 3 || scores->dims[0] != boxes->dims[0] ||
        scores->dims[2] != boxes->dims[1])
        return ERR(NNGPU_ERR_INVALID_ARG,
                   "scores '%s' must be [batches, classes, boxes] for boxes '%s'", scores->name,
                   boxes->name);
    if (boxes->dtype != NNGPU_DTYPE_FLOAT32 || scores->dtype != NNGPU_DTYPE_FLOAT32)
        return ERR(NNGPU_ERR_UNSUPPORTED, "boxes and scores must be float32");
    int64_t per_class = boxes->dims[1];
    double max_out = scalar_input(g, n, 2, 0, (double)per_class);
    if (max_out < 0) max_out = 0;
    if (max_out < (double)per_class) per_class = (int64_t)max_out;
    int64_t d[2] = {boxes->dims[0] * scores->dims[1] * per_class, 3};
    ng_infer_set_out(g, n, 0, NNGPU_DTYPE_INT64, 2, d);
    set_dynamic(g, n, 0);
    return NNGPU_OK;
}

/* x -> y (distinct elements, or slices along axis), indices and counts of
 * that many entries, inverse_indices of x's entries. With constant x the
 * count is exact; otherwise the bound is every entry distinct. */
static nngpu_status infer_unique(ng_graph *g, ng_node *n) {
    const ng_tensor *x;
    NG_CHECK(ng_infer_need(g, n, 0, &x));
    if (x->dtype == NNGPU_DTYPE_INT4 || x->dtype == NNGPU_DTYPE_UINT4 || x->dtype == NNGPU_DTYPE_FLOAT16 ||
        x->dtype == NNGPU_DTYPE_BOOL)
        return ERR(NNGPU_ERR_UNSUPPORTED, "input '%s' is %s", x->name, nngpu_dtype_name(x->dtype));
    int axis = -1;
    if (ng_attr_find(n, "axis")) {
        int64_t a = ng_attr_int(n, "axis", 0);
        if (a < -x->rank || a >= x->rank)
            return ERR(NNGPU_ERR_INVALID_ARG, "axis %lld out of range for rank %d", (long long)a, x->rank);
        axis = (int)(a < 0 ? a + x->rank : a);
    }
    int64_t entries = axis < 0 ? ng_numel(x) : x->dims[axis], nu = entries;
    if (x->data && (nu = ng_ref_unique_count(n, x)) < 0)
        return ERR(NNGPU_ERR_OUT_OF_MEMORY, "counting the distinct entries of '%s'", x->name);
    int64_t d[NNGPU_MAX_DIMS];
    int rank = axis < 0 ? 1 : x->rank;
    for (int k = 0; k < rank; k++) d[k] = axis < 0 ? nu : x->dims[k];
    if (axis >= 0) d[axis] = nu;
    ng_infer_set_out(g, n, 0, x->dtype, rank, d);
    ng_infer_set_out(g, n, 1, NNGPU_DTYPE_INT64, 1, &nu);
    ng_infer_set_out(g, n, 2, NNGPU_DTYPE_INT64, 1, &entries);
    ng_infer_set_out(g, n, 3, NNGPU_DTYPE_INT64, 1, &nu);
    if (!x->data) {
        set_dynamic_out(g, n, 0, axis < 0 ? 0 : axis);
        set_dynamic_out(g, n, 1, 0);
        set_dynamic_out(g, n, 3, 0);
    }
    return NNGPU_OK;
}

int ng_infer_dynamic(ng_graph *g, ng_node *n, nngpu_status *st) {
    switch (n->op) {
    case NG_OP_NONZERO: *st = infer_nonzero(g, n); return 1;
    case NG_OP_NONMAXSUPPRESSION: *st = infer_nms(g, n); return 1;
    case NG_OP_UNIQUE: *st = infer_unique(g, n); return 1;
    default: return 0;
    }
}
