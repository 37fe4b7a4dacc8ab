/* DequantizeLinear of a constant 4- or 8-bit weight feeding a MatMul or Gemm
 * (not part of a full QDQ layer, so activations stay float), directly or
 * through a 2-D Transpose (MatMulNBits' rewrite), becomes one MatMulQuantW
 * that dequantizes inside the kernel. Scales per tensor, per
 * output column, or per block of rows along the reduction axis (opset 21
 * block_size). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "passes.h"
#include "qdq.h"

typedef struct dq_weight {
    int64_t K, N, G;   /* W' = [K, N]; G scale rows (1: per column) */
    int block;         /* rows per scale row; 0 per column */
    int trans_b;
    float alpha;
} dq_weight;

/* Scale index of W'(k, n) in the DQ's scale tensor. */
static int64_t scale_index(const ng_qparams *p, const dq_weight *d, int64_t k, int64_t n) {
    if (p->n == 1) return 0;
    if (!p->block) return n;
    return d->trans_b ? n * d->G + k / p->block : (k / p->block) * d->N + n;
}

/* Whether the DQ's scales are per tensor, per output column or blocked
 * along the reduction axis. */
static int fits(const ng_qparams *p, dq_weight *d) {
    int ch_axis = d->trans_b ? 0 : 1;
    d->block = p->n == 1 ? 0 : p->block;
    d->G = d->block ? (d->K + d->block - 1) / d->block : 1;
    if (p->n == 1) return 1;
    return p->block ? p->axis == 1 - ch_axis : p->axis == ch_axis;
}

/* The weight as [K, N]: w itself, or its transpose. */
static int weight_kn(ng_graph *g, int w, const dq_weight *d) {
    if (!d->trans_b) return w;
    const ng_tensor *t = &g->tensors[w];
    nngpu_dtype dt = t->dtype;
    int64_t dims[2] = {d->K, d->N};
    int four = dt == NNGPU_DTYPE_INT4 || dt == NNGPU_DTYPE_UINT4;
    size_t bytes = four ? (size_t)(d->K * d->N + 1) / 2 : (size_t)(d->K * d->N);
    uint8_t *v = calloc(bytes ? bytes : 1, 1);
    if (!v) return -1;
    for (int64_t k = 0; k < d->K; k++)
        for (int64_t n = 0; n < d->N; n++)
            ng_qconst_set(dt, v, k * d->N + n, ng_qconst_get(t, n * d->K + k));
    int r = ng_const_add(g, t->name, dt, 2, dims, v);
    free(v);
    return r;
}

/* Scales (alpha applied) and zero points as [G, N] (or [N]); zp -1 when all zero. */
static int params_gn(ng_graph *g, const char *base, nngpu_dtype wdt, const ng_qparams *p,
                     const dq_weight *d, int *scale, int *zp) {
    int64_t cnt = d->G * d->N, dims[2] = {d->G, d->N};
    float *s = malloc(sizeof(float) * (size_t)cnt);
    uint8_t *z = calloc((size_t)cnt, 1); /* 8-bit or packed 4-bit: cnt bytes suffice */
    int any_zp = 0;
    for (int64_t r = 0; s && z && r < d->G; r++)
        for (int64_t n = 0; n < d->N; n++) {
            int64_t i = scale_index(p, d, r * (d->block ? d->block : 1), n);
            s[r * d->N + n] = p->scale[i] * d->alpha;
            ng_qconst_set(wdt, z, r * d->N + n, p->zp[i]);
            any_zp |= p->zp[i] != 0;
        }
    char name[240];
    int rank = d->block ? 2 : 1;
    const int64_t *shape = d->block ? dims : dims + 1;
    snprintf(name, sizeof name, "%s_scale", base);
    *scale = s && z ? ng_const_add(g, name, NNGPU_DTYPE_FLOAT32, rank, shape, s) : -1;
    snprintf(name, sizeof name, "%s_zero_point", base);
    *zp = *scale >= 0 && any_zp ? ng_const_add(g, name, wdt, rank, shape, z) : -1;
    free(s);
    free(z);
    return *scale >= 0 && (!any_zp || *zp >= 0);
}

/* Node i if it is a live 2-D Transpose swapping the axes, else -1. */
static int swap_of(const ng_graph *g, int i) {
    if (i < 0 || g->nodes[i].dead || g->nodes[i].op != NG_OP_TRANSPOSE) return -1;
    const int64_t *perm;
    int np = ng_attr_ints(&g->nodes[i], "perm", &perm);
    const ng_tensor *x = ng_in(g, &g->nodes[i], 0);
    return x->rank == 2 && (np == 0 || (np == 2 && perm[0] == 1 && perm[1] == 0)) ? i : -1;
}

nngpu_status ng_pass_fold_dq_matmul(ng_graph *g, ng_report *r) {
    for (int i = 0; i < g->n_nodes; i++) {
        ng_node *n = &g->nodes[i];
        dq_weight d;
        if (!ng_matmulqw_candidate(g, n, &d.K, &d.N, &d.trans_b, &d.alpha)) continue;
        int di = g->tensors[n->in[1]].producer, ti = swap_of(g, di);
        if (ti >= 0) { /* dequantized [N, K], transposed: the weight as Gemm's transB */
            di = g->tensors[g->nodes[ti].in[0]].producer;
            d.trans_b = !d.trans_b;
        }
        if (di < 0 || g->nodes[di].dead || g->nodes[di].op != NG_OP_DEQUANTIZELINEAR) continue;
        const ng_node *dq = &g->nodes[di];
        const ng_tensor *wq = ng_in(g, dq, 0);
        if (!wq->data || !ng_is_quant_dtype(wq->dtype)) continue;
        ng_qparams p;
        if (!ng_qparams_of(g, dq, &p)) continue;
        char base[200];
        snprintf(base, sizeof base, "%s", n->name);
        nngpu_dtype wdt = wq->dtype;
        int ok = fits(&p, &d), w = -1, scale = -1, zp = -1, per_tensor = p.n == 1;
        if (ok) w = weight_kn(g, dq->in[0], &d);
        if (ok && w >= 0) ok = params_gn(g, base, wdt, &p, &d, &scale, &zp);
        ng_qparams_free(&p);
        if (!ok) continue;
        if (w < 0) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': weight", base);
        n = &g->nodes[i];
        ng_op old = n->op;
        NG_CHECK(ng_node_to_matmulqw(g, i, w, scale, zp, d.block));
        ng_node_note_fused(n, "DequantizeLinear");
        ng_node_note_fused(n, ng_op_name(old));
        if (ti >= 0 && ng_use_count(g, g->nodes[ti].out[0]) == 0) g->nodes[ti].dead = 1;
        if (ng_use_count(g, g->nodes[di].out[0]) == 0) g->nodes[di].dead = 1;
        ng_report_add(r, "fold_dq_matmul: DequantizeLinear(%s) -> %s '%s' as MatMulQuantW (%s)",
                      nngpu_dtype_name(wdt), ng_op_name(old), base,
                      d.block ? "blocked" : per_tensor ? "per tensor" : "per column");
    }
    return NNGPU_OK;
}
