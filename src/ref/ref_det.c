/* Det: the determinant of each trailing M x M matrix, by LU decomposition with
 * partial pivoting in double. Devices fall back to it. */
#include <math.h>
#include <stdlib.h>

#include "ref_internal.h"

nngpu_status ng_ref_det(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    int64_t m = x->dims[x->rank - 1], count = ng_numel(y);
    double *a = malloc(sizeof *a * (size_t)(m > 0 ? m * m : 1));
    if (!a) return ng_ref_err(n, NNGPU_ERR_OUT_OF_MEMORY, "%lld x %lld matrix", (long long)m, (long long)m);
    for (int64_t b = 0; b < count; b++) {
        for (int64_t i = 0; i < m * m; i++) a[i] = ng_ref_ldd(x->dtype, in[0], b * m * m + i);
        double det = 1;
        for (int64_t c = 0; c < m && det != 0; c++) {
            int64_t p = c;
            for (int64_t r = c + 1; r < m; r++)
                if (fabs(a[r * m + c]) > fabs(a[p * m + c])) p = r;
            if (a[p * m + c] == 0) {
                det = 0;
                break;
            }
            if (p != c) { /* a row swap flips the sign */
                for (int64_t k = 0; k < m; k++) {
                    double t = a[c * m + k];
                    a[c * m + k] = a[p * m + k], a[p * m + k] = t;
                }
                det = -det;
            }
            det *= a[c * m + c];
            for (int64_t r = c + 1; r < m; r++) {
                double f = a[r * m + c] / a[c * m + c];
                for (int64_t k = c; k < m; k++) a[r * m + k] -= f * a[c * m + k];
            }
        }
        ng_ref_std(y->dtype, out[0], b, det);
    }
    free(a);
    return NNGPU_OK;
}
