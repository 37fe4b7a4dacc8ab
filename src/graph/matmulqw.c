/* MatMul / Gemm rewritten into MatMulQuantW (ops.def): X . dequant(W). */
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "passes.h"
#include "qdq.h"

int ng_matmulqw_candidate(const ng_graph *g, const ng_node *n, int64_t *K, int64_t *N,
                          int *trans_b, float *alpha) {
    if (n->dead || n->n_epi || n->n_out != 1) return 0;
    if (n->op != NG_OP_MATMUL && n->op != NG_OP_GEMM) return 0;
    const ng_tensor *x = ng_in(g, n, 0), *w = ng_in(g, n, 1);
    if (!x || !w || x->dtype != NNGPU_DTYPE_FLOAT32 || x->rank < 2 || w->rank != 2) return 0;
    *trans_b = 0;
    *alpha = 1.0f;
    if (n->op == NG_OP_GEMM) {
        if (ng_attr_int(n, "transA", 0) || x->rank != 2) return 0;
        *trans_b = ng_attr_int(n, "transB", 0) != 0;
        *alpha = ng_attr_float(n, "alpha", 1.0f);
        const ng_tensor *c = n->n_in > 2 ? ng_in(g, n, 2) : NULL;
        if (c && (c->dtype != NNGPU_DTYPE_FLOAT32 ||
                  (ng_attr_float(n, "beta", 1.0f) != 1.0f && !c->data)))
            return 0;
    } else if (n->n_in != 2) {
        return 0;
    }
    *K = w->dims[*trans_b ? 1 : 0];
    *N = w->dims[*trans_b ? 0 : 1];
    return x->dims[x->rank - 1] == *K && *K > 0 && *N > 0;
}

/* beta * C as a new constant (C constant float32). */
static int scaled_bias(ng_graph *g, int c, float beta) {
    const ng_tensor *t = &g->tensors[c];
    int64_t cnt = ng_numel(t);
    float *v = malloc(sizeof(float) * (size_t)(cnt ? cnt : 1));
    if (!v) return -1;
    for (int64_t i = 0; i < cnt; i++) v[i] = beta * ((const float *)t->data)[i];
    int r = ng_const_add(g, t->name, NNGPU_DTYPE_FLOAT32, t->rank, t->dims, v);
    free(v);
    return r;
}

nngpu_status ng_node_to_matmulqw(ng_graph *g, int ni, int w, int scale, int zp, int block) {
    ng_node *n = &g->nodes[ni];
    int c = n->op == NG_OP_GEMM && n->n_in > 2 ? n->in[2] : -1;
    float beta = ng_attr_float(n, "beta", 1.0f);
    if (c >= 0 && beta != 1.0f) c = scaled_bias(g, c, beta);
    int *in = malloc(sizeof(int) * 4);
    ng_attr *a = ng_node_add_attr(n, "block_size", NG_ATTR_INT);
    if (!in || !a || (n->op == NG_OP_GEMM && n->n_in > 2 && c < 0)) {
        free(in);
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': quantized weight", n->name);
    }
    a->i = block;
    in[0] = n->in[0];
    in[1] = w;
    in[2] = scale;
    in[3] = zp;
    free(n->in);
    n->in = in;
    n->n_in = n->n_main_inputs = 4;
    n->op = NG_OP_MATMULQW;
    if (c >= 0) {
        int slot = ng_node_input_slot(n, c);
        if (slot < 0) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': bias", n->name);
        n->epi[n->n_epi++] = (ng_epi_step){.op = NG_OP_ADD, .operand = slot};
    }
    return NNGPU_OK;
}
