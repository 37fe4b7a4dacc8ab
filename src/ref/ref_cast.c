/* Cast, IsNaN / IsInf and the shape-computation ops: Constant, Shape,
 * ConstantOfShape, EyeLike, Range. */
#include <math.h>
#include <string.h>

#include "ref_internal.h"

nngpu_status ng_ref_cast(const ng_graph *g, const ng_node *n, const void *const *in,
                         void *const *out) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    int64_t cnt = ng_numel(y);
    if (x->dtype == y->dtype) return ng_ref_copy(g, n, in, out);
    if (ng_ref_is_4bit(y->dtype)) { /* ONNX: round half to even, keep the low 4 bits */
        memset(out[0], 0, ng_nbytes(y));
        for (int64_t i = 0; i < cnt; i++) {
            double v = rint(ng_ref_ldd(x->dtype, in[0], i));
            ng_ref_sti(y->dtype, out[0], i, v != v || fabs(v) > 1e18 ? 0 : (int64_t)v);
        }
        return NNGPU_OK;
    }
    for (int64_t i = 0; i < cnt; i++) {
        if (ng_ref_is_int(x->dtype) && ng_ref_is_int(y->dtype))
            ng_ref_sti(y->dtype, out[0], i, ng_ref_ldi(x->dtype, in[0], i));
        else if (x->dtype == NNGPU_DTYPE_FLOAT32 || x->dtype == NNGPU_DTYPE_FLOAT16)
            ng_ref_stf(y->dtype, out[0], i, ng_ref_ldf(x->dtype, in[0], i));
        else
            ng_ref_std(y->dtype, out[0], i, ng_ref_ldd(x->dtype, in[0], i));
    }
    return NNGPU_OK;
}

/* IsNaN, IsInf (detect_negative / detect_positive). */
nngpu_status ng_ref_float_test(const ng_graph *g, const ng_node *n, const void *const *in,
                               void *const *out) {
    const ng_tensor *x = ng_in(g, n, 0);
    int64_t cnt = ng_numel(x);
    int nan = n->op == NG_OP_ISNAN, neg = ng_attr_int(n, "detect_negative", 1) != 0,
        pos = ng_attr_int(n, "detect_positive", 1) != 0;
    uint8_t *y = out[0];
    for (int64_t i = 0; i < cnt; i++) {
        double v = ng_ref_ldd(x->dtype, in[0], i);
        y[i] = nan ? v != v : isinf(v) && (v > 0 ? pos : neg);
    }
    return NNGPU_OK;
}

nngpu_status ng_ref_constant(const ng_graph *g, const ng_node *n, const void *const *in,
                             void *const *out) {
    const ng_tensor *y = ng_out(g, n, 0);
    const ng_attr *a = ng_attr_find(n, "value");
    size_t bytes = ng_nbytes(y);
    if (a && a->type == NG_ATTR_TENSOR) {
        if (bytes && a->t_data) memcpy(out[0], a->t_data, bytes);
        else if (bytes) memset(out[0], 0, bytes);
    } else if ((a = ng_attr_find(n, "value_float")) != NULL) {
        ((float *)out[0])[0] = ng_attr_float(n, "value_float", 0);
    } else if ((a = ng_attr_find(n, "value_int")) != NULL) {
        ((int64_t *)out[0])[0] = ng_attr_int(n, "value_int", 0);
    } else if ((a = ng_attr_find(n, "value_floats")) != NULL) {
        for (int i = 0; i < a->n; i++) ((float *)out[0])[i] = a->floats[i];
    } else if ((a = ng_attr_find(n, "value_ints")) != NULL) {
        for (int i = 0; i < a->n; i++) ((int64_t *)out[0])[i] = a->ints[i];
    } else {
        return ng_ref_err(n, NNGPU_ERR_UNSUPPORTED, "no supported value attribute");
    }
    return NNGPU_OK;
}

nngpu_status ng_ref_shape(const ng_graph *g, const ng_node *n, const void *const *in,
                          void *const *out) {
    const ng_tensor *x = ng_in(g, n, 0);
    int64_t s = ng_attr_int(n, "start", 0);
    if (s < 0) s += x->rank;
    s = s < 0 ? 0 : s > x->rank ? x->rank : s;
    int64_t len = ng_numel(ng_out(g, n, 0));
    for (int64_t i = 0; i < len; i++) ((int64_t *)out[0])[i] = x->dims[s + i];
    return NNGPU_OK;
}

nngpu_status ng_ref_constant_of_shape(const ng_graph *g, const ng_node *n, const void *const *in,
                                      void *const *out) {
    const ng_tensor *y = ng_out(g, n, 0);
    const ng_attr *a = ng_attr_find(n, "value");
    size_t es = nngpu_dtype_size(y->dtype);
    char v[16] = {0};
    if (a && a->type == NG_ATTR_TENSOR && a->t_data) memcpy(v, a->t_data, es);
    int64_t cnt = ng_numel(y);
    for (int64_t i = 0; i < cnt; i++) memcpy((char *)out[0] + (size_t)i * es, v, es);
    return NNGPU_OK;
}

/* Ones on the k-th diagonal of a 2-D tensor shaped like the input. */
nngpu_status ng_ref_eye_like(const ng_graph *g, const ng_node *n, const void *const *in,
                             void *const *out) {
    (void)in;
    const ng_tensor *y = ng_out(g, n, 0);
    int64_t k = ng_attr_int(n, "k", 0), rows = y->dims[0], cols = y->dims[1];
    memset(out[0], 0, (size_t)ng_numel(y) * nngpu_dtype_size(y->dtype));
    for (int64_t r = 0; r < rows; r++)
        if (r + k >= 0 && r + k < cols) ng_ref_std(y->dtype, out[0], r * cols + r + k, 1.0);
    return NNGPU_OK;
}

nngpu_status ng_ref_range(const ng_graph *g, const ng_node *n, const void *const *in,
                          void *const *out) {
    const ng_tensor *y = ng_out(g, n, 0), *t0 = ng_in(g, n, 0), *t2 = ng_in(g, n, 2);
    int64_t cnt = ng_numel(y);
    if (ng_ref_is_int(y->dtype)) {
        int64_t s = ng_ref_ldi(t0->dtype, in[0], 0), d = ng_ref_ldi(t2->dtype, in[2], 0);
        for (int64_t i = 0; i < cnt; i++) ng_ref_sti(y->dtype, out[0], i, s + i * d);
    } else {
        double s = ng_ref_ldd(t0->dtype, in[0], 0), d = ng_ref_ldd(t2->dtype, in[2], 0);
        for (int64_t i = 0; i < cnt; i++) ng_ref_std(y->dtype, out[0], i, s + (double)i * d);
    }
    return NNGPU_OK;
}
