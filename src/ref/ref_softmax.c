/* Softmax, LogSoftmax, Hardmax: single axis (opset >= 13) or the legacy 2-D
 * coercion at axis. */
#include <math.h>

#include "ref_internal.h"

nngpu_status ng_ref_softmax(const ng_graph *g, const ng_node *n, const void *const *in,
                            void *const *out) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    int legacy = n->opset < 13;
    int ax = ng_axis(ng_attr_int(n, "axis", legacy ? 1 : -1), x->rank);
    if (ax < 0 && legacy && x->rank == 0) ax = 0;
    if (ax < 0) return ng_ref_err(n, NNGPU_ERR_INVALID_ARG, "axis is out of range");
    int64_t outer = 1, len = 1, inner = 1;
    for (int i = 0; i < x->rank; i++) {
        if (i < ax) outer *= x->dims[i];
        else if (i == ax || legacy) len *= x->dims[i];
        else inner *= x->dims[i];
    }
    for (int64_t o = 0; o < outer; o++)
        for (int64_t in_ = 0; in_ < inner; in_++) {
            int64_t base = o * len * inner + in_;
            double mx = -INFINITY, sum = 0;
            int64_t arg = 0;
            for (int64_t k = 0; k < len; k++) {
                double v = ng_ref_ldd(x->dtype, in[0], base + k * inner);
                if (v > mx) {
                    mx = v;
                    arg = k;
                }
            }
            if (n->op == NG_OP_HARDMAX) {
                for (int64_t k = 0; k < len; k++) ng_ref_std(y->dtype, out[0], base + k * inner, k == arg);
                continue;
            }
            for (int64_t k = 0; k < len; k++) sum += exp(ng_ref_ldd(x->dtype, in[0], base + k * inner) - mx);
            double lse = log(sum);
            for (int64_t k = 0; k < len; k++) {
                double v = ng_ref_ldd(x->dtype, in[0], base + k * inner) - mx;
                ng_ref_std(y->dtype, out[0], base + k * inner,
                           n->op == NG_OP_LOGSOFTMAX ? v - lse : exp(v) / sum);
            }
        }
    return NNGPU_OK;
}
