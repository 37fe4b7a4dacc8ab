/* Shape inference and constant folding in one sweep over the nodes. */
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "infer.h"
#include "passes.h"
#include "ref/ref.h"

/* Whether n's outputs can become constants: inputs constant, and every
 * output's shape exact (not a dynamic bound, ng_tensor.is_dynamic). */
static int foldable(const ng_graph *g, const ng_node *n) {
    for (int k = 0; k < n->n_in; k++)
        if (n->in[k] >= 0 && !ng_is_const(g, n->in[k])) return 0;
    for (int k = 0; k < n->n_out; k++)
        if (n->out[k] >= 0 && g->tensors[n->out[k]].is_dynamic) return 0;
    return 1;
}

/* Evaluates n on the reference; its outputs become constants. */
static nngpu_status fold_node(ng_graph *g, ng_node *n) {
    const void *in[64] = {0};
    void *out[16] = {0};
    if (n->n_in > 64 || n->n_out > 16) return NNGPU_OK;
    for (int k = 0; k < n->n_in; k++) in[k] = n->in[k] >= 0 ? g->tensors[n->in[k]].data : NULL;
    nngpu_status s = NNGPU_OK;
    for (int k = 0; k < n->n_out && s == NNGPU_OK; k++) {
        if (n->out[k] < 0) continue;
        size_t bytes = ng_nbytes(&g->tensors[n->out[k]]);
        out[k] = malloc(bytes ? bytes : 1);
        if (!out[k]) s = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': folding", n->name);
    }
    if (s == NNGPU_OK) s = ng_ref_run(g, n, in, out);
    for (int k = 0; k < n->n_out; k++) {
        if (s == NNGPU_OK && out[k]) {
            ng_tensor *t = &g->tensors[n->out[k]];
            free(t->data);
            t->data = out[k];
            t->producer = -1;
        } else {
            free(out[k]);
        }
    }
    if (s == NNGPU_OK) n->dead = 1;
    return s;
}

/* A DequantizeLinear whose output is a Conv / Gemm / MatMul weight or bias
 * stays for fold_qdq and fold_dq_matmul, which need its integer input. */
static int feeds_weight(const ng_graph *g, const ng_node *dq) {
    if (dq->op != NG_OP_DEQUANTIZELINEAR) return 0;
    int t = dq->out[0];
    for (int i = 0; i < g->n_nodes; i++) {
        const ng_node *n = &g->nodes[i];
        if (n->dead) continue;
        int slots = n->op == NG_OP_MATMUL ? 2 : n->op == NG_OP_CONV || n->op == NG_OP_GEMM ? 3 : 0;
        for (int k = 1; k < slots && k < n->n_in; k++)
            if (n->in[k] == t) return 1;
    }
    return 0;
}

/* Shape(x) needs only x's shape. */
static nngpu_status fold_shape(ng_graph *g, ng_node *n) {
    ng_tensor *x = ng_in(g, n, 0);
    ng_tensor *y = ng_out(g, n, 0);
    if (x->is_dynamic) return NNGPU_OK; /* its extent is known per run only */
    for (int i = 0; i < x->rank; i++)
        if (x->dims[i] < 0) return NNGPU_OK;
    int64_t vals[NNGPU_MAX_DIMS];
    int count = 0;
    int start = (int)ng_attr_int(n, "start", 0); /* opset 15; infer checked the range */
    if (start < 0) start += x->rank;
    if (start < 0) start = 0;
    for (int64_t i = 0; i < y->dims[0] && start + i < x->rank; i++)
        vals[count++] = x->dims[start + i];
    int64_t dims[1] = {count};
    NG_CHECK(ng_tensor_set_const(g, n->out[0], NNGPU_DTYPE_INT64, 1, dims, vals));
    y->producer = -1;
    n->dead = 1;
    return NNGPU_OK;
}

nngpu_status ng_pass_infer_fold(ng_graph *g, int fold, ng_report *r) {
    int folded = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        ng_node *n = &g->nodes[i];
        if (n->dead) continue;
        NG_CHECK(ng_infer_node(g, n));
        if (!fold) continue;
        if (n->op == NG_OP_SHAPE) {
            NG_CHECK(fold_shape(g, n));
        } else if (foldable(g, n) && ng_ref_supported(g, n) && !feeds_weight(g, n)) {
            nngpu_status s = fold_node(g, n);
            if (s != NNGPU_OK) return s;
        }
        folded += n->dead; /* a folded graph output stays an output: a constant one */
    }
    if (folded) ng_report_add(r, "fold_constants: %d nodes evaluated at compile time", folded);
    return NNGPU_OK;
}

nngpu_status ng_pass_fold_dequantize(ng_graph *g, ng_report *r) {
    int folded = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        ng_node *n = &g->nodes[i];
        if (n->dead || n->op != NG_OP_DEQUANTIZELINEAR || !foldable(g, n) ||
            !ng_ref_supported(g, n))
            continue;
        NG_CHECK(fold_node(g, n));
        folded += n->dead;
    }
    if (folded) ng_report_add(r, "fold_constants: %d DequantizeLinear of weights evaluated", folded);
    return NNGPU_OK;
}
