/* Gemm and MatMul (batch broadcast, 1-D operands), float64 accumulation. */
#include "ref_internal.h"

nngpu_status ng_ref_gemm(const ng_graph *g, const ng_node *n, const void *const *in,
                         void *const *out) {
    const ng_tensor *a = ng_in(g, n, 0), *b = ng_in(g, n, 1), *y = ng_out(g, n, 0);
    const ng_tensor *c = n->n_main_inputs > 2 ? ng_in(g, n, 2) : NULL;
    int ta = (int)ng_attr_int(n, "transA", 0), tb = (int)ng_attr_int(n, "transB", 0);
    double alpha = ng_attr_float(n, "alpha", 1.0f), beta = ng_attr_float(n, "beta", 1.0f);
    int64_t M = y->dims[0], N = y->dims[1], K = a->dims[ta ? 0 : 1];
    int64_t cs[2];
    if (c) ng_ref_bcast_strides(2, y->dims, c->rank, c->dims, cs);
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
