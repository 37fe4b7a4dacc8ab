/* Shape inference and constant folding in one sweep over the nodes. */
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "expand.h"
#include "infer.h"
#include "passes.h"
#include "ref/ref.h"
#include "subgraph.h"

/* Whether n's outputs can become constants: inputs constant, and every
 * output's shape exact (not a dynamic bound, ng_tensor.is_dynamic). */
static int inputs_const(const ng_graph *g, const ng_node *n) {
    for (int k = 0; k < n->n_in; k++)
        if (n->in[k] >= 0 && !ng_is_const(g, n->in[k])) return 0;
    return 1;
}

static int foldable(const ng_graph *g, const ng_node *n) {
    if (!inputs_const(g, n)) return 0;
    for (int k = 0; k < n->n_out; k++)
        if (n->out[k] >= 0 && g->tensors[n->out[k]].is_dynamic) return 0;
    return 1;
}

/* Evaluates n on the reference; its outputs become constants. */
static nngpu_status fold_node(ng_graph *g, ng_node *n) {
    const void **in = calloc((size_t)n->n_in + 1, sizeof *in);
    void **out = calloc((size_t)n->n_out + 1, sizeof *out);
    nngpu_status s = NNGPU_OK;
    if (!in || !out) s = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': folding", n->name);
    for (int k = 0; k < n->n_in && in; k++) in[k] = n->in[k] >= 0 ? g->tensors[n->in[k]].data : NULL;
    for (int k = 0; k < n->n_out && s == NNGPU_OK; k++) {
        if (n->out[k] < 0) continue;
        size_t bytes = ng_nbytes(&g->tensors[n->out[k]]);
        out[k] = malloc(bytes ? bytes : 1);
        if (!out[k]) s = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': folding", n->name);
    }
    int64_t extent = 0;
    if (s == NNGPU_OK && ng_ref_is_dynamic_op(n->op))
        s = ng_ref_run_dynamic(g, n, in, out, &extent);
    else if (s == NNGPU_OK)
        s = ng_ref_run(g, n, in, out);
    for (int k = 0; k < n->n_out && out; k++) {
        if (s == NNGPU_OK && out[k]) {
            ng_tensor *t = &g->tensors[n->out[k]];
            if (t->is_dynamic) { /* the extent these values gave, data packed to it */
                t->dims[t->dyn_axis] = extent;
                t->is_dynamic = 0;
            }
            ng_tensor_drop_data(t);
            t->data = out[k];
            t->producer = -1;
        } else {
            free(out[k]);
        }
    }
    if (s == NNGPU_OK) n->dead = 1;
    free(in);
    free(out);
    return s;
}

/* Whether tensor t is a Conv / Gemm / MatMul weight or bias; through a 2-D
 * Transpose too when transposed (MatMulNBits' rewrite). */
static int is_weight(const ng_graph *g, int t, int transposed) {
    for (int i = 0; i < g->n_nodes; i++) {
        const ng_node *n = &g->nodes[i];
        if (n->dead) continue;
        if (transposed && n->op == NG_OP_TRANSPOSE && n->in[0] == t && ng_in(g, n, 0)->rank == 2 &&
            is_weight(g, n->out[0], 0))
            return 1;
        int slots = n->op == NG_OP_MATMUL ? 2 : n->op == NG_OP_CONV || n->op == NG_OP_GEMM ? 3 : 0;
        for (int k = 1; k < slots && k < n->n_in; k++)
            if (n->in[k] == t) return 1;
    }
    return 0;
}

/* A DequantizeLinear whose output is a weight or bias stays for fold_qdq and
 * fold_dq_matmul, which need its integer input. */
static int feeds_weight(const ng_graph *g, const ng_node *dq) {
    return dq->op == NG_OP_DEQUANTIZELINEAR && is_weight(g, dq->out[0], 1);
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

/* Whether n's output shapes are known only per run (the run-time tail): an
 * If or Loop that cannot be evaluated now, or a reader of such a value or of
 * a dynamic extent (other than a pass-through Identity). */
static int runs_at_runtime(const ng_graph *g, const ng_node *n, int fold) {
    if (ng_is_control_op(n->op) && !(fold && inputs_const(g, n))) return 1;
    for (int k = 0; k < n->n_in; k++) {
        const ng_tensor *t = ng_in(g, n, k);
        if (t && (t->rt_shape || (t->is_dynamic && !(k == 0 && ng_passes_dynamic(n->op)))))
            return 1;
    }
    return 0;
}

static void mark_runtime(ng_graph *g, ng_node *n) {
    for (int k = 0; k < n->n_out; k++) {
        ng_tensor *t = ng_out(g, n, k);
        if (!t) continue;
        t->rt_shape = 1;
        t->rank = -1;
    }
}

nngpu_status ng_pass_infer_fold(ng_graph *g, int fold, ng_report *r) {
    int folded = 0, runtime = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        ng_node *n = &g->nodes[i];
        if (n->dead) continue;
        if (n->op == NG_OP_IF && ng_is_const(g, n->in[0]) && !(fold && inputs_const(g, n))) {
            NG_CHECK(ng_inline_if(g, i)); /* its branch's nodes take its place */
            i--;
            continue;
        }
        if (runs_at_runtime(g, n, fold)) {
            mark_runtime(g, n);
            runtime++;
            continue;
        }
        if (ng_is_expanded(n)) { /* its nodes take its place: infer them next */
            NG_CHECK(ng_expand_node(g, i));
            i--;
            continue;
        }
        if (ng_is_control_op(n->op)) {
            NG_CHECK(ng_fold_control(g, n));
            folded++;
            continue;
        }
        nngpu_status st = ng_infer_node(g, n);
        if (st != NNGPU_OK && ng_infer_wanted_value()) { /* e.g. Slice by a graph input's values */
            mark_runtime(g, n);
            runtime++;
            continue;
        }
        NG_CHECK(st);
        if (!fold) continue;
        if (n->op == NG_OP_SHAPE) {
            NG_CHECK(fold_shape(g, n));
        } else if ((foldable(g, n) || (fold == 2 && inputs_const(g, n))) &&
                   ng_ref_supported(g, n) && (fold == 2 || !feeds_weight(g, n))) {
            nngpu_status s = fold_node(g, n);
            if (s != NNGPU_OK) return s;
        }
        folded += n->dead; /* a folded graph output stays an output: a constant one */
    }
    if (folded) ng_report_add(r, "fold_constants: %d nodes evaluated at compile time", folded);
    if (runtime)
        ng_report_add(r, "runtime_shapes: %d nodes decide or read shapes known only per run "
                         "(run on the host)", runtime);
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
