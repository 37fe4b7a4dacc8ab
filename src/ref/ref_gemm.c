/* Gemm and MatMul (batch broadcast, 1-D operands), float64 accumulation. */
#include <stdlib.h>
#include <string.h>

#include "core/jobs.h"
#include "ref_internal.h"

/* float32 operands: rows [i0, i0 + nr) of A (element (i, k) at a[i*ars + k*acs])
 * times B (contiguous: (k, j) at b[k*N + j]) into acc[r*N + j], in float64.
 * Each row of B serves NG_ROWS rows of A while it is in cache, the innermost
 * loop runs along it (vectorized); every sum still adds k = 0, 1, ... in order. */
#define NG_ROWS 8
static void rows_f32(int64_t i0, int64_t nr, int64_t N, int64_t K, const float *a, int64_t ars,
                     int64_t acs, const float *b, double *acc) {
    memset(acc, 0, sizeof *acc * (size_t)(nr * N));
    for (int64_t k = 0; k < K; k++) {
        const float *br = b + k * N;
        for (int64_t r = 0; r < nr; r++) {
            double av = a[(i0 + r) * ars + k * acs], *ar = acc + r * N;
            for (int64_t j = 0; j < N; j++) ar[j] += av * (double)br[j];
        }
    }
}

/* B ((k, j) at b[k*brs + j*bcs]) as contiguous [K, N]: b itself, or a copy in
 * *tmp (NULL when out of memory). */
static const float *contiguous(const float *b, int64_t K, int64_t N, int64_t brs, int64_t bcs,
                               float **tmp) {
    *tmp = NULL;
    if (bcs == 1 && brs == N) return b;
    float *t = malloc(sizeof *t * (size_t)(K * N > 0 ? K * N : 1));
    if (!t) return NULL;
    for (int64_t k = 0; k < K; k++)
        for (int64_t j = 0; j < N; j++) t[k * N + j] = b[k * brs + j * bcs];
    return *tmp = t;
}

static int all_f32(const ng_tensor *a, const ng_tensor *b, const ng_tensor *y) {
    return a->dtype == NNGPU_DTYPE_FLOAT32 && b->dtype == NNGPU_DTYPE_FLOAT32 &&
           y->dtype == NNGPU_DTYPE_FLOAT32;
}

/* Row blocks [lo, hi) of a float32 product (MatMul: each batch's blocks in
 * turn; Gemm: one batch, then alpha, beta and C); they split across threads. */
typedef struct {
    int64_t M, N, K, blocks_per_batch;
    const float *a, *b; /* A: (i, k) at a[i*ars + k*acs]; B contiguous */
    int64_t ars, acs;
    int rbat; /* MatMul: batch rank, broadcast dims and strides of A and B */
    const int64_t *bd, *sa, *sb;
    const ng_tensor *c; /* Gemm: C, its data and broadcast strides */
    const void *cdata;
    int64_t cs[2];
    double alpha, beta;
    float *y;
    _Atomic int out_of_memory;
} product_job;

static void product_blocks(void *arg, int64_t lo, int64_t hi) {
    product_job *j = arg;
    int64_t M = j->M, N = j->N, K = j->K;
    double *rows = malloc(sizeof(double) * (size_t)(N ? N * NG_ROWS : 1));
    if (!rows) {
        j->out_of_memory = 1;
        return;
    }
    for (int64_t blk = lo; blk < hi; blk++) {
        int64_t bi = blk / j->blocks_per_batch, i0 = blk % j->blocks_per_batch * NG_ROWS;
        int64_t nr = M - i0 < NG_ROWS ? M - i0 : NG_ROWS;
        const float *ap = j->a, *bp = j->b;
        if (j->rbat) {
            ap += ng_ref_bcast_offset(j->rbat, j->bd, j->sa, bi) * M * K;
            bp += ng_ref_bcast_offset(j->rbat, j->bd, j->sb, bi) * K * N;
        }
        rows_f32(i0, nr, N, K, ap, j->ars, j->acs, bp, rows);
        float *yp = j->y + (bi * M + i0) * N;
        for (int64_t r = 0; r < nr; r++)
            for (int64_t jj = 0; jj < N; jj++) {
                double v = rows[r * N + jj] * j->alpha;
                if (j->c) v += j->beta * ng_ref_ldd(j->c->dtype, j->cdata, (i0 + r) * j->cs[0] + jj * j->cs[1]);
                yp[r * N + jj] = (float)v;
            }
    }
    free(rows);
}

static nngpu_status run_product(product_job *j, int64_t batches) {
    j->blocks_per_batch = (j->M + NG_ROWS - 1) / NG_ROWS;
    double macs = (double)batches * j->M * j->N * j->K;
    ng_parallel_for(batches * j->blocks_per_batch, ng_ref_threads(macs), product_blocks, j);
    if (j->out_of_memory) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "reference Gemm/MatMul");
    return NNGPU_OK;
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
    float *bt = NULL;
    const float *bc = all_f32(a, b, y) ? contiguous(in[1], K, N, tb ? 1 : N, tb ? K : 1, &bt) : NULL;
    if (bc) {
        product_job j = {.M = M, .N = N, .K = K, .a = in[0], .b = bc, .ars = ta ? 1 : K,
                         .acs = ta ? M : 1, .c = c, .cdata = c ? in[2] : NULL, .alpha = alpha,
                         .beta = beta, .y = out[0]};
        if (c) memcpy(j.cs, cs, sizeof cs);
        nngpu_status st = run_product(&j, 1);
        free(bt);
        return st;
    }
    free(bt);
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
    if (all_f32(a, b, y)) {
        product_job j = {.M = M, .N = N, .K = K, .a = in[0], .b = in[1], .ars = K, .acs = 1,
                         .rbat = rbat, .bd = bd, .sa = sa, .sb = sb, .alpha = 1.0, .y = out[0]};
        return run_product(&j, nb);
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
