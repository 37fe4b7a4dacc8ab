/* MaxPool (with Indices), AveragePool, LpPool and their Global forms. */
#include <math.h>

#include "ref_internal.h"

/* LpPool's p (an integer since opset 2). */
static double lp_p(const ng_node *n) { return (double)ng_attr_int(n, "p", 2); }

nngpu_status ng_ref_pool(const ng_graph *g, const ng_node *n, const void *const *in,
                         void *const *out) {
    ng_window w;
    NG_CHECK(ng_ref_window3(g, n, &w));
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0), *yi = ng_out(g, n, 1);
    int is_max = n->op == NG_OP_MAXPOOL, is_lp = n->op == NG_OP_LPPOOL;
    double lp = is_lp ? lp_p(n) : 1;
    int incl = (int)ng_attr_int(n, "count_include_pad", 0);
    int col_major = (int)ng_attr_int(n, "storage_order", 0);
    int64_t NC = x->dims[0] * x->dims[1];
    int64_t isz = w.in[0] * w.in[1] * w.in[2], osz = w.out[0] * w.out[1] * w.out[2];
    for (int64_t nc = 0; nc < NC; nc++)
        for (int64_t o0 = 0; o0 < w.out[0]; o0++)
            for (int64_t o1 = 0; o1 < w.out[1]; o1++)
                for (int64_t o2 = 0; o2 < w.out[2]; o2++) {
                    double acc = is_max ? -INFINITY : 0.0;
                    int64_t arg = -1, cnt = 0, cnt_pad = 1;
                    int64_t o[3] = {o0, o1, o2};
                    /* count_include_pad divisor: window positions inside input + explicit pads */
                    for (int a = 0; a < 3; a++) {
                        int64_t c = 0;
                        for (int64_t k = 0; k < w.k[a]; k++) {
                            int64_t p = o[a] * w.s[a] - w.pb[a] + k * w.d[a];
                            if (p >= -w.pb[a] && p < w.in[a] + w.pe[a]) c++;
                        }
                        cnt_pad *= c;
                    }
                    for (int64_t k0 = 0; k0 < w.k[0]; k0++) {
                        int64_t i0 = o0 * w.s[0] - w.pb[0] + k0 * w.d[0];
                        if (i0 < 0 || i0 >= w.in[0]) continue;
                        for (int64_t k1 = 0; k1 < w.k[1]; k1++) {
                            int64_t i1 = o1 * w.s[1] - w.pb[1] + k1 * w.d[1];
                            if (i1 < 0 || i1 >= w.in[1]) continue;
                            for (int64_t k2 = 0; k2 < w.k[2]; k2++) {
                                int64_t i2 = o2 * w.s[2] - w.pb[2] + k2 * w.d[2];
                                if (i2 < 0 || i2 >= w.in[2]) continue;
                                int64_t off = (i0 * w.in[1] + i1) * w.in[2] + i2;
                                double v = ng_ref_ldd(x->dtype, in[0], nc * isz + off);
                                cnt++;
                                if (is_lp) acc += pow(fabs(v), lp);
                                else if (!is_max) acc += v;
                                else if (v > acc || arg < 0) {
                                    acc = v;
                                    arg = col_major ? (i2 * w.in[1] + i1) * w.in[0] + i0 : off;
                                }
                            }
                        }
                    }
                    int64_t yo = nc * osz + (o0 * w.out[1] + o1) * w.out[2] + o2;
                    if (is_lp) acc = pow(acc, 1.0 / lp);
                    else if (!is_max) acc = (incl ? cnt_pad : cnt) ? acc / (double)(incl ? cnt_pad : cnt) : NAN;
                    ng_ref_std(y->dtype, out[0], yo, acc);
                    if (is_max && yi && n->n_out > 1 && out[1])
                        ((int64_t *)out[1])[yo] = nc * isz + (arg < 0 ? 0 : arg);
                }
    return NNGPU_OK;
}

nngpu_status ng_ref_global_pool(const ng_graph *g, const ng_node *n, const void *const *in,
                                void *const *out) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    int64_t NC = x->dims[0] * x->dims[1], sz = 1;
    for (int i = 2; i < x->rank; i++) sz *= x->dims[i];
    int is_max = n->op == NG_OP_GLOBALMAXPOOL, is_lp = n->op == NG_OP_GLOBALLPPOOL;
    double p = is_lp ? lp_p(n) : 1;
    for (int64_t nc = 0; nc < NC; nc++) {
        double acc = is_max ? -INFINITY : 0.0;
        for (int64_t i = 0; i < sz; i++) {
            double v = ng_ref_ldd(x->dtype, in[0], nc * sz + i);
            if (is_max) acc = v > acc || v != v ? v : acc;
            else acc += is_lp ? pow(fabs(v), p) : v;
        }
        ng_ref_std(y->dtype, out[0], nc, is_max ? acc : is_lp ? pow(acc, 1.0 / p) : acc / (double)sz);
    }
    return NNGPU_OK;
}
