/* MaxUnpool: zeros of the output shape, then x[i] where MaxPool's Indices
 * point. An index counts row-major over the inferred shape (MaxPool's input);
 * a larger output_shape keeps the coordinates, so the extra rows and columns
 * stay zero (as ONNX's cases and ONNX Runtime do). */
#include <string.h>

#include "ref_internal.h"

nngpu_status ng_ref_max_unpool_shape(const ng_node *n, const ng_tensor *x, int64_t *dims) {
    int sp = x->rank - 2;
    const int64_t *ks = NULL, *st = NULL, *pads = NULL;
    int nk = ng_attr_ints(n, "kernel_shape", &ks), ns = ng_attr_ints(n, "strides", &st),
        np = ng_attr_ints(n, "pads", &pads);
    if (sp < 1 || nk != sp || (ns && ns != sp) || (np && np != 2 * sp))
        return ng_ref_err(n, NNGPU_ERR_INVALID_ARG, "kernel_shape, strides and pads must cover the %d spatial dims of '%s'",
                          sp, x->name);
    dims[0] = x->dims[0];
    dims[1] = x->dims[1];
    for (int k = 0; k < sp; k++) {
        dims[2 + k] = (x->dims[2 + k] - 1) * (ns ? st[k] : 1) + ks[k] - (np ? pads[k] + pads[sp + k] : 0);
        if (dims[2 + k] < 1)
            return ng_ref_err(n, NNGPU_ERR_INVALID_ARG, "inferred output dim %d is %lld", 2 + k,
                              (long long)dims[2 + k]);
    }
    return NNGPU_OK;
}

/* Index at (row-major over `from`) moved to the same coordinates in `to`; -1 outside. */
static int64_t remap(int64_t at, const int64_t *from, const int64_t *to, int rank) {
    int64_t pos = 0, stride = 1;
    for (int k = rank - 1; k >= 0; k--) {
        int64_t c = at % from[k];
        at /= from[k];
        if (c >= to[k]) return -1;
        pos += c * stride;
        stride *= to[k];
    }
    return pos;
}

nngpu_status ng_ref_max_unpool(const ng_graph *g, const ng_node *n, const void *const *in,
                               void *const *out) {
    const ng_tensor *x = ng_in(g, n, 0), *it = ng_in(g, n, 1), *y = ng_out(g, n, 0);
    int64_t inferred[NNGPU_MAX_DIMS], ninf = 1;
    NG_CHECK(ng_ref_max_unpool_shape(n, x, inferred));
    for (int k = 0; k < x->rank; k++) ninf *= inferred[k];
    int64_t cnt = ng_numel(x);
    memset(out[0], 0, ng_nbytes(y));
    for (int64_t i = 0; i < cnt; i++) {
        int64_t at = ng_ref_ldi(it->dtype, in[1], i);
        int64_t pos = at >= 0 && at < ninf ? remap(at, inferred, y->dims, y->rank) : -1;
        if (pos < 0)
            return ng_ref_err(n, NNGPU_ERR_INVALID_ARG, "index %lld at %lld of '%s' is outside the output",
                              (long long)at, (long long)i, it->name);
        ng_ref_std(y->dtype, out[0], pos, ng_ref_ldd(x->dtype, in[0], i));
    }
    return NNGPU_OK;
}
