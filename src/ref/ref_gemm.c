/* Gemm and MatMul (batch broadcast, 1-D operands), float64 accumulation. */
#include <stdlib.h>

#include "ref_internal.h"

/* float32 operands: row i of A (element (i, k) at a[i*ars + k*acs]) times B
 * ((k, j) at b[k*brs + j*bcs]) into acc[0..N), in float64, the innermost loop
 * along B's row (tens of times faster than the generic loops). */
static void row_f32(int64_t i, int64_t N, int64_t K, const float *a, int64_t ars, int64_t acs,
                    const float *b, int64_t brs, int64_t bcs, double *acc) {
    for (int64_t j = 0; j < N; j++) acc[j] = 0.0;
    for (int64_t k = 0; k < K; k++) {
        double av = a[i * ars + k * acs];
        const float *br = b + k * brs;
        for (int64_t j = 0; j < N; j++) acc[j] += av * (double)br[j * bcs];
    }
}

static int all_f32(const ng_tensor *a, const ng_tensor *b, const ng_tensor *y) {
    return a->dtype == NNGPU_DTYPE_FLOAT32 && b->dtype == NNGPU_DTYPE_FLOAT32 &&
           y->dtype == NNGPU_DTYPE_FLOAT32;
}

nngpu_status ng_ref_gemm(const ng_graph *g, const ng_node *n, const void *const *in,
                         void *const *out) {
    const ng_tensor *a = ng_in(g, n, 0), *b = ng_in(g, n, 1), *y = ng_out(g, n, 0);
    const ng_tensor *c = n->n_main_inputs > 2 ? ng_in(g, n, 2) : NULL;
    int ta = (int)ng_attr_int(n, "transA", 0), tb = (int)ng_attr_int(n, "transB", 0);
    double alpha = ng_attr_float(n, "alpha", 1.0f), beta = ng_attr_float(n, "beta", 1.0f);
    int64_t M = y->dims[0], N = y->dims[1], K = a->dims[ta ? 0 : 1];
    int64_t cs[2];
    if (c) ng_ref_bcast_strides(2, y->dims, c->rank, c->dims, cs);
    double *row = all_f32(a, b, y) ? malloc(sizeof(double) * (size_t)(N ? N : 1)) : NULL;
    if (row) {
        for (int64_t i = 0; i < M; i++) {
            row_f32(i, N, K, in[0], ta ? 1 : K, ta ? M : 1, in[1], tb ? 1 : N, tb ? K : 1, row);
            for (int64_t j = 0; j < N; j++) {
                double v = row[j] * alpha;
                if (c) v += beta * ng_ref_ldd(c->dtype, in[2], i * cs[0] + j * cs[1]);
                ((float *)out[0])[i * N + j] = (float)v;
            }
        }
        free(row);
        return NNGPU_OK;
    }
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            double acc = 0;
            for (int64_t k = 0; k < K; k++)
                acc += ng_ref_ldd(a->dtype, in[0], ta ? k * M + i : i * K + k) *
                       ng_ref_ldd(b->dtype, in[1], tb ? j * K + k : k * N + j);
            acc *= alpha;
            if (c) acc += beta * ng_ref_ldd(c->dtype, in[2], i * cs[0] + j * cs[1]);
            ng_ref_std(y->dtype, out[0], i * N + j, acc);
        }
    return NNGPU_OK;
}

nngpu_status ng_ref_matmul(const ng_graph *g, const ng_node *n, const void *const *in,
                           void *const *out) {
    const ng_tensor *a = ng_in(g, n, 0), *b = ng_in(g, n, 1), *y = ng_out(g, n, 0);
    /* View both operands as [batch..., rows, cols]; 1-D a is [1, K], 1-D b is [K, 1]. */
    int64_t K = a->dims[a->rank - 1];
    int64_t M = a->rank >= 2 ? a->dims[a->rank - 2] : 1;
    int64_t N = b->rank >= 2 ? b->dims[b->rank - 1] : 1;
    int ra = a->rank > 2 ? a->rank - 2 : 0, rb = b->rank > 2 ? b->rank - 2 : 0;
    int rbat = ra > rb ? ra : rb;
    int64_t bd[NNGPU_MAX_DIMS], sa[NNGPU_MAX_DIMS], sb[NNGPU_MAX_DIMS];
    int r;
    if (ng_broadcast_shape(ra, a->dims, rb, b->dims, &r, bd) != NNGPU_OK)
        return ng_ref_err(n, NNGPU_ERR_INVALID_ARG, "batch dims do not broadcast");
    ng_ref_bcast_strides(rbat, bd, ra, a->dims, sa);
    ng_ref_bcast_strides(rbat, bd, rb, b->dims, sb);
    int64_t nb = 1;
    for (int i = 0; i < rbat; i++) nb *= bd[i];
    double *row = all_f32(a, b, y) ? malloc(sizeof(double) * (size_t)(N ? N : 1)) : NULL;
    if (row) {
        for (int64_t bi = 0; bi < nb; bi++) {
            const float *ap = (const float *)in[0] + ng_ref_bcast_offset(rbat, bd, sa, bi) * M * K;
            const float *bp = (const float *)in[1] + ng_ref_bcast_offset(rbat, bd, sb, bi) * K * N;
            for (int64_t i = 0; i < M; i++) {
                row_f32(i, N, K, ap, K, 1, bp, N, 1, row);
                for (int64_t j = 0; j < N; j++) ((float *)out[0])[(bi * M + i) * N + j] = (float)row[j];
            }
        }
        free(row);
        return NNGPU_OK;
    }
    for (int64_t bi = 0; bi < nb; bi++) {
        int64_t aoff = ng_ref_bcast_offset(rbat, bd, sa, bi) * M * K;
        int64_t boff = ng_ref_bcast_offset(rbat, bd, sb, bi) * K * N;
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                double acc = 0;
                for (int64_t k = 0; k < K; k++)
                    acc += ng_ref_ldd(a->dtype, in[0], aoff + i * K + k) *
                           ng_ref_ldd(b->dtype, in[1], boff + k * N + j);
                ng_ref_std(y->dtype, out[0], (bi * M + i) * N + j, acc);
            }
    }
    return NNGPU_OK;
}
