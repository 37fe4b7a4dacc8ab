/* BatchNormalization, inference mode: y = scale * (x - mean) / sqrt(var + eps) + bias. */
#include <math.h>
#include <string.h>

#include "ref_internal.h"

nngpu_status ng_ref_batchnorm(const ng_graph *g, const ng_node *n, const void *const *in,
                              void *const *out) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    const ng_tensor *p[5];
    for (int i = 1; i < 5; i++) p[i] = ng_in(g, n, i);
    double eps = ng_attr_float(n, "epsilon", 1e-5f);
    int64_t N = x->dims[0], C = x->dims[1], sz = 1;
    for (int i = 2; i < x->rank; i++) sz *= x->dims[i];
    for (int64_t c = 0; c < C; c++) {
        double sc = ng_ref_ldd(p[1]->dtype, in[1], c), bi = ng_ref_ldd(p[2]->dtype, in[2], c);
        double mu = ng_ref_ldd(p[3]->dtype, in[3], c), var = ng_ref_ldd(p[4]->dtype, in[4], c);
        double k = sc / sqrt(var + eps);
        for (int64_t b = 0; b < N; b++)
            for (int64_t i = 0; i < sz; i++) {
                int64_t o = (b * C + c) * sz + i;
                ng_ref_std(y->dtype, out[0], o, (ng_ref_ldd(x->dtype, in[0], o) - mu) * k + bi);
            }
    }
    /* optional running mean / var outputs (older opsets): pass the inputs through */
    for (int i = 1; i < n->n_out && i < 3; i++)
        if (out[i] && ng_out(g, n, i)) memcpy(out[i], in[i + 2], ng_nbytes(ng_out(g, n, i)));
    return NNGPU_OK;
}
