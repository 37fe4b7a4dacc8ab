/* ConvTranspose over 1..3 spatial dims: each output pixel gathers the input
 * pixels and taps that reach it (o = i*s - pb + k*d), float64 accumulation.
 * Weights are [C, M/group, k...]. */

#include "ref_internal.h"

nngpu_status ng_ref_convtranspose(const ng_graph *g, const ng_node *n, const void *const *in,
                                  void *const *out) {
    const ng_tensor *x = ng_in(g, n, 0), *wt = ng_in(g, n, 1);
    const ng_tensor *b = n->n_main_inputs > 2 ? ng_in(g, n, 2) : NULL; /* beyond: epilogue operands */
    const ng_tensor *y = ng_out(g, n, 0);
    ng_window w0, w;
    NG_CHECK(ng_infer_convtranspose(g, n, &w0));
    if (w0.ns > 3) return ng_ref_err(n, NNGPU_ERR_UNSUPPORTED, "%d spatial dims (at most 3)", w0.ns);
    /* pad to 3 spatial dims with leading 1s */
    int sh = 3 - w0.ns;
    for (int i = 0; i < 3; i++) {
        int j = i - sh;
        w.in[i] = j < 0 ? 1 : w0.in[j];
        w.out[i] = j < 0 ? 1 : w0.out[j];
        w.k[i] = j < 0 ? 1 : w0.k[j];
        w.s[i] = j < 0 ? 1 : w0.s[j];
        w.d[i] = j < 0 ? 1 : w0.d[j];
        w.pb[i] = j < 0 ? 0 : w0.pb[j];
    }
    int64_t group = ng_attr_int(n, "group", 1);
    int64_t C = x->dims[1], M = y->dims[1], cg = C / group, mg = M / group;
    int64_t in_sp = w.in[0] * w.in[1] * w.in[2], out_sp = w.out[0] * w.out[1] * w.out[2];
    int64_t ksz = w.k[0] * w.k[1] * w.k[2];
    for (int64_t nb = 0; nb < x->dims[0]; nb++)
        for (int64_t m = 0; m < M; m++) {
            int64_t gi = m / mg, mm = m % mg;
            for (int64_t o = 0; o < out_sp; o++) {
                int64_t od[3] = {o / (w.out[1] * w.out[2]), (o / w.out[2]) % w.out[1], o % w.out[2]};
                double acc = b && in[2] ? ng_ref_ldd(b->dtype, in[2], m) : 0.0;
                for (int64_t kk = 0; kk < ksz; kk++) {
                    int64_t kd[3] = {kk / (w.k[1] * w.k[2]), (kk / w.k[2]) % w.k[1], kk % w.k[2]};
                    int64_t id[3];
                    int ok = 1;
                    for (int a = 0; a < 3 && ok; a++) {
                        int64_t t = od[a] + w.pb[a] - kd[a] * w.d[a];
                        if (t < 0 || t % w.s[a]) ok = 0;
                        id[a] = t / w.s[a];
                        if (id[a] >= w.in[a]) ok = 0;
                    }
                    if (!ok) continue;
                    int64_t ip = (id[0] * w.in[1] + id[1]) * w.in[2] + id[2];
                    for (int64_t c = 0; c < cg; c++) {
                        int64_t ci = gi * cg + c;
                        acc += ng_ref_ldd(x->dtype, in[0], (nb * C + ci) * in_sp + ip) *
                               ng_ref_ldd(wt->dtype, in[1], (ci * mg + mm) * ksz + kk);
                    }
                }
                ng_ref_std(y->dtype, out[0], (nb * M + m) * out_sp + o, acc);
            }
        }
    return NNGPU_OK;
}
