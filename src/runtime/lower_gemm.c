/* Gemm/MatMul as a batched GEMM (lower_gemm.h). */
#include "lower_gemm.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

static int is_f32(const ng_tensor *t) { return t && t->dtype == NNGPU_DTYPE_FLOAT32 && t->rank >= 0; }

/* MatMul's batch dims, broadcast right-aligned: s->batch and, with tables,
 * each batch's element offsets into A and B. */
static int matmul_batches(const ng_tensor *a, const ng_tensor *b, ng_gemm_shape *s, int tables) {
    int ra = a->rank, rb = b->rank;
    int nba = ra > 2 ? ra - 2 : 0, nbb = rb > 2 ? rb - 2 : 0;
    int nb = nba > nbb ? nba : nbb;
    int64_t bd[NNGPU_MAX_DIMS], da[NNGPU_MAX_DIMS], db[NNGPU_MAX_DIMS], total = 1;
    for (int i = 0; i < nb; i++) {
        int ia = i - (nb - nba), ib = i - (nb - nbb);
        da[i] = ia >= 0 ? a->dims[ia] : 1;
        db[i] = ib >= 0 ? b->dims[ib] : 1;
        if (da[i] != db[i] && da[i] != 1 && db[i] != 1) return 0;
        bd[i] = da[i] > db[i] ? da[i] : db[i];
        total *= bd[i];
    }
    if (total > (1 << 24)) return 0;
    s->batch = (int)total;
    if (!tables) return 1;
    s->a_boff = malloc(sizeof(int) * (size_t)(total ? total : 1));
    s->b_boff = malloc(sizeof(int) * (size_t)(total ? total : 1));
    if (!s->a_boff || !s->b_boff) return -1;
    for (int64_t t = 0; t < total; t++) {
        int64_t rem = t, oa = 0, ob = 0, sa = (int64_t)s->M * s->K, sb = (int64_t)s->K * s->N;
        for (int i = nb - 1; i >= 0; i--) {
            int64_t ci = rem % bd[i];
            rem /= bd[i];
            if (da[i] != 1) oa += ci * sa;
            if (db[i] != 1) ob += ci * sb;
            sa *= da[i];
            sb *= db[i];
        }
        s->a_boff[t] = (int)oa;
        s->b_boff[t] = (int)ob;
    }
    return 1;
}

static int gemm_op(const ng_graph *g, const ng_node *n, const ng_tensor *a, const ng_tensor *b,
                   const ng_tensor *y, ng_gemm_shape *s) {
    if (a->rank != 2 || b->rank != 2 || y->rank != 2) return 0;
    s->trans_a = (int)ng_attr_int(n, "transA", 0);
    s->trans_b = (int)ng_attr_int(n, "transB", 0);
    s->alpha = ng_attr_float(n, "alpha", 1.0f);
    s->beta = ng_attr_float(n, "beta", 1.0f);
    s->M = (int)(s->trans_a ? a->dims[1] : a->dims[0]);
    s->K = (int)(s->trans_a ? a->dims[0] : a->dims[1]);
    s->N = (int)(s->trans_b ? b->dims[0] : b->dims[1]);
    if ((s->trans_b ? b->dims[1] : b->dims[0]) != s->K) return 0;
    if (y->dims[0] != s->M || y->dims[1] != s->N) return 0;
    s->sam = s->trans_a ? 1 : s->K;
    s->sak = s->trans_a ? s->M : 1;
    s->sbk = s->trans_b ? 1 : s->N;
    s->sbn = s->trans_b ? s->K : 1;
    const ng_tensor *c = n->n_main_inputs > 2 && n->in[2] >= 0 ? ng_in(g, n, 2) : NULL;
    if (c && s->beta != 0.0f) {
        if (!is_f32(c) || c->rank > 2) return 0;
        int64_t cm = c->rank == 2 ? c->dims[0] : 1, cn = c->rank >= 1 ? c->dims[c->rank - 1] : 1;
        if ((cm != 1 && cm != s->M) || (cn != 1 && cn != s->N)) return 0;
        s->has_c = 1;
        s->scn = cn == 1 ? 0 : 1;
        s->scm = cm == 1 ? 0 : (int)cn;
    }
    return 1;
}

static int matmul_op(const ng_tensor *a, const ng_tensor *b, const ng_tensor *y,
                     ng_gemm_shape *s, int want_tables) {
    if (a->rank < 1 || b->rank < 1) return 0;
    int ra = a->rank, rb = b->rank;
    s->M = ra == 1 ? 1 : (int)a->dims[ra - 2];
    s->K = (int)a->dims[ra - 1];
    s->N = rb == 1 ? 1 : (int)b->dims[rb - 1];
    if ((rb == 1 ? b->dims[0] : b->dims[rb - 2]) != s->K) return 0;
    s->sam = s->K;
    s->sak = 1;
    s->sbk = s->N;
    s->sbn = 1;
    int r = matmul_batches(a, b, s, want_tables);
    if (r <= 0) return r;
    return (int64_t)s->batch * s->M * s->N == ng_numel(y);
}

int ng_gemm_shape_of(const ng_graph *g, const ng_node *n, ng_gemm_shape *s, int want_tables) {
    memset(s, 0, sizeof *s);
    const ng_tensor *a = ng_in(g, n, 0), *b = ng_in(g, n, 1), *y = ng_out(g, n, 0);
    if (!is_f32(a) || !is_f32(b) || !is_f32(y)) return 0;
    if (ng_numel(a) > INT_MAX || ng_numel(b) > INT_MAX || ng_numel(y) > INT_MAX) return 0;
    s->alpha = 1.0f;
    s->batch = 1;
    int r = n->op == NG_OP_GEMM     ? gemm_op(g, n, a, b, y, s)
            : n->op == NG_OP_MATMUL ? matmul_op(a, b, y, s, want_tables)
                                    : 0;
    if (r == 1 && want_tables && !s->a_boff) {
        s->a_boff = calloc(1, sizeof(int));
        s->b_boff = calloc(1, sizeof(int));
        if (!s->a_boff || !s->b_boff) r = -1;
    }
    if (r == 1 && (s->M <= 0 || s->N <= 0 || s->K <= 0)) r = 0;
    if (r != 1) ng_gemm_shape_free(s);
    return r;
}

void ng_gemm_shape_free(ng_gemm_shape *s) {
    free(s->a_boff);
    free(s->b_boff);
    s->a_boff = s->b_boff = NULL;
}
