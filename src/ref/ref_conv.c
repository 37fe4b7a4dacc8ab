/* Conv (1-3 spatial dims, groups, dilations, pads), float64 accumulation. */
#include "ref_internal.h"

nngpu_status ng_ref_window3(const ng_graph *g, const ng_node *n, ng_window *w) {
    ng_window v;
    NG_CHECK(ng_infer_window(g, n, &v));
    if (v.ns > 3) return ng_ref_err(n, NNGPU_ERR_UNSUPPORTED, "%d spatial dims (at most 3)", v.ns);
    int lead = 3 - v.ns;
    *w = v;
    w->ns = 3;
    for (int i = 0; i < 3; i++) {
        int k = i - lead;
        w->in[i] = k < 0 ? 1 : v.in[k];
        w->out[i] = k < 0 ? 1 : v.out[k];
        w->k[i] = k < 0 ? 1 : v.k[k];
        w->s[i] = k < 0 ? 1 : v.s[k];
        w->d[i] = k < 0 ? 1 : v.d[k];
        w->pb[i] = k < 0 ? 0 : v.pb[k];
        w->pe[i] = k < 0 ? 0 : v.pe[k];
    }
    return NNGPU_OK;
}

nngpu_status ng_ref_conv(const ng_graph *g, const ng_node *n, const void *const *in,
                         void *const *out) {
    ng_window w;
    NG_CHECK(ng_ref_window3(g, n, &w));
    const ng_tensor *x = ng_in(g, n, 0), *wt = ng_in(g, n, 1), *b = ng_in(g, n, 2), *y = ng_out(g, n, 0);
    if (n->n_main_inputs < 3) b = NULL;
    int64_t N = x->dims[0], C = x->dims[1], M = wt->dims[0];
    int64_t G = ng_attr_int(n, "group", 1), Cg = C / G, Mg = M / G;
    int64_t isz = w.in[0] * w.in[1] * w.in[2], osz = w.out[0] * w.out[1] * w.out[2];
    int64_t ksz = w.k[0] * w.k[1] * w.k[2];
    for (int64_t bn = 0; bn < N; bn++)
        for (int64_t m = 0; m < M; m++) {
            int64_t grp = m / Mg;
            double bias = b ? ng_ref_ldd(b->dtype, in[2], m) : 0.0;
            for (int64_t o0 = 0; o0 < w.out[0]; o0++)
                for (int64_t o1 = 0; o1 < w.out[1]; o1++)
                    for (int64_t o2 = 0; o2 < w.out[2]; o2++) {
                        double acc = bias;
                        for (int64_t c = 0; c < Cg; c++) {
                            int64_t xoff = (bn * C + grp * Cg + c) * isz;
                            int64_t woff = (m * Cg + c) * ksz;
                            for (int64_t k0 = 0; k0 < w.k[0]; k0++) {
                                int64_t i0 = o0 * w.s[0] - w.pb[0] + k0 * w.d[0];
                                if (i0 < 0 || i0 >= w.in[0]) continue;
                                for (int64_t k1 = 0; k1 < w.k[1]; k1++) {
                                    int64_t i1 = o1 * w.s[1] - w.pb[1] + k1 * w.d[1];
                                    if (i1 < 0 || i1 >= w.in[1]) continue;
                                    for (int64_t k2 = 0; k2 < w.k[2]; k2++) {
                                        int64_t i2 = o2 * w.s[2] - w.pb[2] + k2 * w.d[2];
                                        if (i2 < 0 || i2 >= w.in[2]) continue;
                                        acc += ng_ref_ldd(x->dtype, in[0], xoff + (i0 * w.in[1] + i1) * w.in[2] + i2) *
                                               ng_ref_ldd(wt->dtype, in[1], woff + (k0 * w.k[1] + k1) * w.k[2] + k2);
                                    }
                                }
                            }
                        }
                        ng_ref_std(y->dtype, out[0], (bn * M + m) * osz + (o0 * w.out[1] + o1) * w.out[2] + o2, acc);
                    }
        }
    return NNGPU_OK;
}
