/* ReduceMean / ReduceSum / ReduceMax over any set of axes, float64 accumulation. */
#include <math.h>
#include <stdlib.h>

#include "ref_internal.h"

nngpu_status ng_ref_reduce(const ng_graph *g, const ng_node *n, const void *const *in,
                           void *const *out) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    int64_t axes[NNGPU_MAX_DIMS];
    int c = ng_node_ints(g, n, "axes", 1, axes, NNGPU_MAX_DIMS);
    if (c < 0) return ng_ref_err(n, NNGPU_ERR_UNSUPPORTED, "axes input is not constant");
    int mask[NNGPU_MAX_DIMS] = {0};
    if (c == 0 && ng_attr_int(n, "noop_with_empty_axes", 0)) {
        int64_t cnt = ng_numel(x);
        for (int64_t i = 0; i < cnt; i++) ng_ref_std(y->dtype, out[0], i, ng_ref_ldd(x->dtype, in[0], i));
        return NNGPU_OK;
    }
    for (int i = 0; i < x->rank; i++) mask[i] = c == 0;
    for (int i = 0; i < c; i++) {
        int a = ng_axis(axes[i], x->rank);
        if (a < 0) return ng_ref_err(n, NNGPU_ERR_INVALID_ARG, "axis out of range");
        mask[a] = 1;
    }
    /* output strides over the input's dims (0 on reduced axes) */
    int64_t kd[NNGPU_MAX_DIMS], ks[NNGPU_MAX_DIMS];
    for (int i = 0; i < x->rank; i++) kd[i] = mask[i] ? 1 : x->dims[i];
    ng_ref_bcast_strides(x->rank, x->dims, x->rank, kd, ks);
    int64_t ny = ng_numel(y), nx = ng_numel(x), per = ny ? nx / ny : 0;
    double *acc = malloc(sizeof(double) * (size_t)(ny ? ny : 1));
    if (!acc) return ng_ref_err(n, NNGPU_ERR_OUT_OF_MEMORY, "reduce buffer");
    int is_max = n->op == NG_OP_REDUCEMAX;
    for (int64_t i = 0; i < ny; i++) acc[i] = is_max ? -INFINITY : 0.0;
    for (int64_t i = 0; i < nx; i++) {
        int64_t o = ng_ref_bcast_offset(x->rank, x->dims, ks, i);
        double v = ng_ref_ldd(x->dtype, in[0], i);
        if (is_max) acc[o] = v > acc[o] || v != v ? v : acc[o];
        else acc[o] += v;
    }
    for (int64_t i = 0; i < ny; i++) {
        double v = acc[i];
        if (n->op == NG_OP_REDUCEMEAN) v = per ? v / (double)per : NAN;
        if (is_max && ng_ref_is_int(y->dtype) && per == 0) { /* empty max of ints: the minimum */
            ng_ref_sti(y->dtype, out[0], i, y->dtype == NNGPU_DTYPE_INT64 ? INT64_MIN : y->dtype == NNGPU_DTYPE_INT32 ? INT32_MIN
                                            : y->dtype == NNGPU_DTYPE_INT8 ? INT8_MIN : 0);
            continue;
        }
        ng_ref_std(y->dtype, out[0], i, v);
    }
    free(acc);
    return NNGPU_OK;
}
