/* Einsum: for each output element, the sum over every combination of the
 * summed labels of the product of the inputs (float64 accumulation). */
#include <stdlib.h>

#include "ref_internal.h"

nngpu_status ng_ref_einsum(const ng_graph *g, const ng_node *n, const void *const *in,
                           void *const *out) {
    ng_einsum e;
    NG_CHECK(ng_infer_einsum(g, n, &e));
    const ng_tensor *y = ng_out(g, n, 0);
    int is_out[NG_EINSUM_MAX_LABELS] = {0}, sum_lab[NG_EINSUM_MAX_LABELS], ns = 0;
    for (int i = 0; i < e.out_rank; i++) is_out[e.out_lab[i]] = 1;
    int64_t n_sum = 1;
    for (int l = 0; l < e.n_labels; l++)
        if (!is_out[l]) {
            sum_lab[ns++] = l;
            n_sum *= e.size[l];
        }
    /* per input: element stride of each label (0 where the dim is 1: broadcast) */
    int64_t (*st)[NG_EINSUM_MAX_LABELS] = calloc((size_t)e.n_in, sizeof *st);
    if (!st) return ng_ref_err(n, NNGPU_ERR_OUT_OF_MEMORY, "Einsum strides");
    for (int k = 0; k < e.n_in; k++) {
        const ng_tensor *x = ng_in(g, n, k);
        int64_t s = 1;
        for (int j = x->rank - 1; j >= 0; j--) {
            if (x->dims[j] != 1) st[k][e.in_lab[k][j]] += s; /* a repeated label walks the diagonal */
            s *= x->dims[j];
        }
    }
    /* summed labels walked as an odometer: offsets change by one stride per step */
    int64_t cnt = ng_numel(y), cur[NG_EINSUM_MAX_LABELS];
    int two = e.n_in == 2, f32 = 1;
    for (int k = 0; k < e.n_in; k++) f32 &= ng_in(g, n, k)->dtype == NNGPU_DTYPE_FLOAT32;
    for (int64_t i = 0; i < cnt; i++) {
        int64_t r = i, off[NG_EINSUM_MAX_IN] = {0};
        for (int j = e.out_rank - 1; j >= 0; j--) {
            int l = e.out_lab[j];
            int64_t v = r % e.size[l];
            r /= e.size[l];
            for (int k = 0; k < e.n_in; k++) off[k] += v * st[k][l];
        }
        for (int j = 0; j < ns; j++) cur[j] = 0;
        double acc = 0;
        for (int64_t q = 0; q < n_sum; q++) {
            double p;
            if (f32 && two) p = (double)((const float *)in[0])[off[0]] * ((const float *)in[1])[off[1]];
            else {
                p = 1;
                for (int k = 0; k < e.n_in; k++) p *= ng_ref_ldd(ng_in(g, n, k)->dtype, in[k], off[k]);
            }
            acc += p;
            for (int j = ns - 1; j >= 0; j--) {
                int l = sum_lab[j];
                for (int k = 0; k < e.n_in; k++) off[k] += st[k][l];
                if (++cur[j] < e.size[l]) break;
                for (int k = 0; k < e.n_in; k++) off[k] -= st[k][l] * e.size[l];
                cur[j] = 0;
            }
        }
        ng_ref_std(y->dtype, out[0], i, acc);
    }
    free(st);
    return NNGPU_OK;
}
