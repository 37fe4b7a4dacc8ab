/* LayerNormalization, InstanceNormalization, GroupNormalization: mean and
 * population variance per normalized block in float64, then scale and bias.
 * LRN: across-channel local response normalization. */
#include <math.h>

#include "ref_internal.h"

/* Mean and 1/sqrt(var + eps) of count elements of x from base with stride 1. */
static void moments(nngpu_dtype t, const void *x, int64_t base, int64_t count, double eps,
                    double *mean, double *inv) {
    double s = 0, q = 0;
    for (int64_t k = 0; k < count; k++) s += ng_ref_ldd(t, x, base + k);
    double m = count ? s / (double)count : 0;
    for (int64_t k = 0; k < count; k++) {
        double d = ng_ref_ldd(t, x, base + k) - m;
        q += d * d;
    }
    *mean = m;
    *inv = 1.0 / sqrt((count ? q / (double)count : 0) + eps);
}

nngpu_status ng_ref_layernorm(const ng_graph *g, const ng_node *n, const void *const *in,
                              void *const *out) {
    const ng_tensor *x = ng_in(g, n, 0), *s = ng_in(g, n, 1);
    const ng_tensor *b = n->n_main_inputs > 2 ? ng_in(g, n, 2) : NULL; /* beyond: epilogue operands */
    const ng_tensor *y = ng_out(g, n, 0), *tm = ng_out(g, n, 1), *ti = ng_out(g, n, 2);
    int ax = ng_axis(ng_attr_int(n, "axis", -1), x->rank);
    if (ax < 0) return ng_ref_err(n, NNGPU_ERR_INVALID_ARG, "axis is out of range");
    double eps = ng_attr_float(n, "epsilon", 1e-5f);
    int nr = x->rank - ax;
    int64_t outer = 1, len = 1;
    for (int i = 0; i < x->rank; i++) {
        if (i < ax) outer *= x->dims[i];
        else len *= x->dims[i];
    }
    int64_t ss[NNGPU_MAX_DIMS], bs[NNGPU_MAX_DIMS];
    ng_ref_bcast_strides(nr, x->dims + ax, s->rank, s->dims, ss);
    if (b) ng_ref_bcast_strides(nr, x->dims + ax, b->rank, b->dims, bs);
    for (int64_t o = 0; o < outer; o++) {
        double m, inv;
        moments(x->dtype, in[0], o * len, len, eps, &m, &inv);
        for (int64_t k = 0; k < len; k++) {
            double v = (ng_ref_ldd(x->dtype, in[0], o * len + k) - m) * inv;
            v *= ng_ref_ldd(s->dtype, in[1], ng_ref_bcast_offset(nr, x->dims + ax, ss, k));
            if (b && in[2]) v += ng_ref_ldd(b->dtype, in[2], ng_ref_bcast_offset(nr, x->dims + ax, bs, k));
            ng_ref_std(y->dtype, out[0], o * len + k, v);
        }
        if (tm && out[1]) ng_ref_std(tm->dtype, out[1], o, m);
        if (ti && out[2]) ng_ref_std(ti->dtype, out[2], o, inv);
    }
    return NNGPU_OK;
}

/* InstanceNormalization (one group per channel) and GroupNormalization. */
nngpu_status ng_ref_channel_norm(const ng_graph *g, const ng_node *n, const void *const *in,
                                 void *const *out) {
    const ng_tensor *x = ng_in(g, n, 0), *s = ng_in(g, n, 1), *b = ng_in(g, n, 2);
    const ng_tensor *y = ng_out(g, n, 0);
    int64_t c = x->dims[1], spatial = 1;
    for (int i = 2; i < x->rank; i++) spatial *= x->dims[i];
    int64_t groups = n->op == NG_OP_GROUPNORM ? ng_attr_int(n, "num_groups", 1) : c;
    if (groups < 1 || c % groups) return ng_ref_err(n, NNGPU_ERR_INVALID_ARG, "num_groups does not divide the channels");
    double eps = ng_attr_float(n, "epsilon", 1e-5f);
    int64_t cg = c / groups, len = cg * spatial;
    int per_channel = ng_numel(s) == c;
    for (int64_t ni = 0; ni < x->dims[0]; ni++)
        for (int64_t gi = 0; gi < groups; gi++) {
            int64_t base = (ni * groups + gi) * len;
            double m, inv;
            moments(x->dtype, in[0], base, len, eps, &m, &inv);
            for (int64_t k = 0; k < len; k++) {
                int64_t p = per_channel ? gi * cg + k / spatial : gi;
                double v = (ng_ref_ldd(x->dtype, in[0], base + k) - m) * inv;
                v = v * ng_ref_ldd(s->dtype, in[1], p) + ng_ref_ldd(b->dtype, in[2], p);
                ng_ref_std(y->dtype, out[0], base + k, v);
            }
        }
    return NNGPU_OK;
}

nngpu_status ng_ref_lrn(const ng_graph *g, const ng_node *n, const void *const *in,
                        void *const *out) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    int64_t size = ng_attr_int(n, "size", 1), c = x->dims[1], sp = 1;
    double alpha = ng_attr_float(n, "alpha", 1e-4f), beta = ng_attr_float(n, "beta", 0.75f);
    double bias = ng_attr_float(n, "bias", 1.0f);
    for (int i = 2; i < x->rank; i++) sp *= x->dims[i];
    int64_t lo = (size - 1) / 2, hi = size - 1 - lo, cnt = ng_numel(x);
    for (int64_t i = 0; i < cnt; i++) {
        int64_t ch = (i / sp) % c, base = i - ch * sp;
        double sq = 0;
        for (int64_t k = ch - lo; k <= ch + hi; k++) {
            if (k < 0 || k >= c) continue;
            double v = ng_ref_ldd(x->dtype, in[0], base + k * sp);
            sq += v * v;
        }
        ng_ref_std(y->dtype, out[0], i, ng_ref_ldd(x->dtype, in[0], i) / pow(bias + alpha / (double)size * sq, beta));
    }
    return NNGPU_OK;
}
