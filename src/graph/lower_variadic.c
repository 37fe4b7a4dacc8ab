/* Variadic Sum / Mean / Max / Min as elementwise nodes the devices run:
 * one input becomes Identity; N inputs become the binary op of two of them
 * with the others (and Mean's 1/N) as epilogue steps. The pair chosen must
 * already have the full output shape; otherwise the node stays (CPU). */
#include <string.h>

#include "core/status.h"
#include "infer.h"
#include "passes.h"

static ng_op binary_of(ng_op op) {
    return op == NG_OP_SUM || op == NG_OP_MEAN ? NG_OP_ADD : op;
}

static int same_dims(int ra, const int64_t *a, const ng_tensor *y) {
    if (ra != y->rank) return 0;
    for (int i = 0; i < ra; i++)
        if (a[i] != y->dims[i]) return 0;
    return 1;
}

/* Indices of two inputs whose broadcast has the output's shape; 0 when none. */
static int full_pair(const ng_graph *g, const ng_node *n, int *p, int *q) {
    const ng_tensor *y = ng_out(g, n, 0);
    for (int i = 0; i < n->n_main_inputs; i++)
        for (int j = i + 1; j < n->n_main_inputs; j++) {
            const ng_tensor *a = ng_in(g, n, i), *b = ng_in(g, n, j);
            int r;
            int64_t d[NNGPU_MAX_DIMS];
            if (ng_broadcast_shape(a->rank, a->dims, b->rank, b->dims, &r, d) == NNGPU_OK &&
                same_dims(r, d, y)) {
                *p = i;
                *q = j;
                return 1;
            }
        }
    return 0;
}

static nngpu_status lower_one(ng_graph *g, int ni, ng_report *r) {
    ng_node *n = &g->nodes[ni];
    int k = n->n_main_inputs;
    if (k == 1) {
        n->op = NG_OP_IDENTITY;
        ng_report_add(r, "lower_variadic: '%s' with one input as Identity", n->name);
        return NNGPU_OK;
    }
    int extra = k - 2 + (n->op == NG_OP_MEAN);
    int p, q;
    if (extra > NG_MAX_EPI || n->n_in != k || n->n_epi || !full_pair(g, n, &p, &q)) return NNGPU_OK;
    int ins[64], m = 0, mean_t = -1;
    if (k > 64) return NNGPU_OK;
    for (int i = 0; i < k; i++)
        if (i != p && i != q) ins[m++] = n->in[i];
    if (n->op == NG_OP_MEAN) {
        float inv = 1.0f / (float)k;
        int64_t one = 1;
        mean_t = ng_tensor_add_unique(g, "mean_scale");
        if (mean_t < 0 || ng_tensor_set_const(g, mean_t, NNGPU_DTYPE_FLOAT32, 0, &one, &inv) != NNGPU_OK)
            return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s'", g->nodes[ni].name);
        n = &g->nodes[ni];
    }
    const char *onnx = ng_op_name(n->op);
    ng_op bin = binary_of(n->op);
    int a = n->in[p], b = n->in[q];
    n->in[0] = a;
    n->in[1] = b;
    n->n_in = n->n_main_inputs = 2;
    n->op = bin;
    for (int i = 0; i < m; i++) {
        int slot = ng_node_input_slot(n, ins[i]);
        if (slot < 0) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s'", n->name);
        n->epi[n->n_epi++] = (ng_epi_step){.op = bin, .operand = slot};
    }
    if (mean_t >= 0) {
        int slot = ng_node_input_slot(n, mean_t);
        if (slot < 0) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s'", n->name);
        n->epi[n->n_epi++] = (ng_epi_step){.op = NG_OP_MUL, .operand = slot};
    }
    ng_node_note_fused(n, onnx);
    ng_report_add(r, "lower_variadic: '%s' (%s of %d) as %s with %d epilogue steps", n->name, onnx, k,
                  ng_op_name(bin), n->n_epi);
    return NNGPU_OK;
}

nngpu_status ng_pass_lower_variadic(ng_graph *g, ng_report *r) {
    for (int i = 0; i < g->n_nodes; i++) {
        ng_node *n = &g->nodes[i];
        if (n->dead || n->n_out != 1 || n->n_main_inputs < 1) continue;
        if (n->op != NG_OP_SUM && n->op != NG_OP_MEAN && n->op != NG_OP_MAX && n->op != NG_OP_MIN) continue;
        const ng_tensor *y = ng_out(g, n, 0);
        if (!y || y->dtype != NNGPU_DTYPE_FLOAT32) continue;
        if (n->n_main_inputs == 2 && (n->op == NG_OP_MAX || n->op == NG_OP_MIN)) continue; /* already binary */
        int ok = 1;
        for (int k = 0; k < n->n_main_inputs; k++) ok &= n->in[k] >= 0;
        if (ok) NG_CHECK(lower_one(g, i, r));
    }
    return NNGPU_OK;
}
