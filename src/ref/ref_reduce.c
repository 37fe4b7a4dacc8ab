/* Reduce{Mean,Sum,Max,Min,Prod,L1,L2,SumSquare,LogSumExp} over any set of
 * axes (float64 accumulation), and ArgMax / ArgMin. */
#include <math.h>
#include <stdlib.h>

#include "ref_internal.h"

/* The accumulator's start (the value of an empty reduction before finish). */
static double init_of(ng_op op) {
    switch (op) {
    case NG_OP_REDUCEMAX: return -INFINITY;
    case NG_OP_REDUCEMIN: return INFINITY;
    case NG_OP_REDUCEPROD: return 1.0;
    default: return 0.0;
    }
}

static double step(ng_op op, double acc, double v) {
    switch (op) {
    case NG_OP_REDUCEMAX: return v > acc || v != v ? v : acc;
    case NG_OP_REDUCEMIN: return v < acc || v != v ? v : acc;
    case NG_OP_REDUCEPROD: return acc * v;
    case NG_OP_REDUCEL1: return acc + fabs(v);
    case NG_OP_REDUCEL2:
    case NG_OP_REDUCESUMSQUARE: return acc + v * v;
    case NG_OP_REDUCELOGSUMEXP: return acc + exp(v);
    default: return acc + v;
    }
}

static double finish(ng_op op, double acc, int64_t per) {
    switch (op) {
    case NG_OP_REDUCEMEAN: return per ? acc / (double)per : NAN;
    case NG_OP_REDUCEL2: return sqrt(acc);
    case NG_OP_REDUCELOGSUMEXP: return log(acc);
    default: return acc;
    }
}

static int64_t int_extreme(nngpu_dtype t, int max) {
    switch (t) {
    case NNGPU_DTYPE_INT64: return max ? INT64_MAX : INT64_MIN;
    case NNGPU_DTYPE_INT32: return max ? INT32_MAX : INT32_MIN;
    case NNGPU_DTYPE_INT8: return max ? INT8_MAX : INT8_MIN;
    case NNGPU_DTYPE_UINT8: return max ? UINT8_MAX : 0;
    default: return max;
    }
}

nngpu_status ng_ref_reduce(const ng_graph *g, const ng_node *n, const void *const *in,
                           void *const *out) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    int64_t axes[NNGPU_MAX_DIMS];
    int c = ng_node_ints(g, n, "axes", 1, axes, NNGPU_MAX_DIMS);
    if (c < 0) return ng_ref_err(n, NNGPU_ERR_UNSUPPORTED, "axes input is not constant");
    /* no axes: all of them, or none with noop_with_empty_axes (each element alone) */
    int all = c == 0 && !ng_attr_int(n, "noop_with_empty_axes", 0);
    int mask[NNGPU_MAX_DIMS] = {0};
    for (int i = 0; i < x->rank; i++) mask[i] = all;
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
    ng_op op = n->op;
    for (int64_t i = 0; i < ny; i++) acc[i] = init_of(op);
    for (int64_t i = 0; i < nx; i++) {
        int64_t o = ng_ref_bcast_offset(x->rank, x->dims, ks, i);
        acc[o] = step(op, acc[o], ng_ref_ldd(x->dtype, in[0], i));
    }
    int extreme = op == NG_OP_REDUCEMAX || op == NG_OP_REDUCEMIN;
    for (int64_t i = 0; i < ny; i++) {
        if (extreme && ng_ref_is_int(y->dtype) && per == 0) /* empty max/min of ints */
            ng_ref_sti(y->dtype, out[0], i, int_extreme(y->dtype, op == NG_OP_REDUCEMIN));
        else
            ng_ref_std(y->dtype, out[0], i, finish(op, acc[i], per));
    }
    free(acc);
    return NNGPU_OK;
}

nngpu_status ng_ref_argmax(const ng_graph *g, const ng_node *n, const void *const *in,
                           void *const *out) {
    const ng_tensor *x = ng_in(g, n, 0);
    int ax = ng_axis(ng_attr_int(n, "axis", 0), x->rank);
    if (ax < 0) return ng_ref_err(n, NNGPU_ERR_INVALID_ARG, "axis out of range");
    int last = (int)ng_attr_int(n, "select_last_index", 0), is_max = n->op == NG_OP_ARGMAX;
    int64_t outer = 1, len = x->dims[ax], inner = 1;
    for (int i = 0; i < x->rank; i++) {
        if (i < ax) outer *= x->dims[i];
        else if (i > ax) inner *= x->dims[i];
    }
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < inner; j++) {
            int64_t base = o * len * inner + j, best = 0;
            double bv = ng_ref_ldd(x->dtype, in[0], base);
            for (int64_t k = 1; k < len; k++) {
                double v = ng_ref_ldd(x->dtype, in[0], base + k * inner);
                if (bv != bv) break; /* nan wins, first one */
                int better = is_max ? v > bv : v < bv;
                if (better || (last && v == bv) || v != v) {
                    bv = v;
                    best = k;
                }
            }
            ((int64_t *)out[0])[o * inner + j] = best;
        }
    return NNGPU_OK;
}
