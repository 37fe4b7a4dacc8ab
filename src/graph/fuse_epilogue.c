/* Epilogue fusion: the elementwise consumers of a Conv / Gemm / MatMul /
 * ConvTranspose / Layer-, Instance-, GroupNormalization
 * (bias, activation, residual Add, activation again) or of an elementwise
 * node (a chain) become ng_epi_steps of that node, which then runs where its
 * last absorbed consumer stood. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "passes.h"

#define MAX_EPI_OPERANDS 2 /* tensors an epilogue may read besides the result */

static int same_shape(const ng_tensor *a, const ng_tensor *b) {
    if (a->rank != b->rank) return 0;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i]) return 0;
    return 1;
}

/* Clip bounds from attributes (opset < 11) or constant inputs. */
static int clip_bounds(const ng_graph *g, const ng_node *n, float *lo, float *hi) {
    *lo = -INFINITY;
    *hi = INFINITY;
    if (n->opset < 11) {
        *lo = ng_attr_float(n, "min", -INFINITY);
        *hi = ng_attr_float(n, "max", INFINITY);
        return 1;
    }
    for (int k = 1; k <= 2; k++) {
        const ng_tensor *t = ng_in(g, n, k);
        if (!t) continue;
        if (!t->data || ng_numel(t) != 1) return 0;
        *(k == 1 ? lo : hi) = (float)ng_const_double(t, 0);
    }
    return 1;
}

/* Node c as a unary step on its input 0. */
static int as_unary_step(const ng_graph *g, const ng_node *c, ng_epi_step *st) {
    if (ng_op_kind_of(c->op) != NG_KIND_ELTWISE_UNARY) return 0;
    memset(st, 0, sizeof *st);
    st->op = c->op;
    st->operand = -1;
    switch (c->op) {
    case NG_OP_LEAKYRELU: st->alpha = ng_attr_float(c, "alpha", 0.01f); break;
    case NG_OP_HARDSIGMOID:
        st->alpha = ng_attr_float(c, "alpha", 0.2f);
        st->beta = ng_attr_float(c, "beta", 0.5f);
        break;
    case NG_OP_ELU: st->alpha = ng_attr_float(c, "alpha", 1.0f); break;
    case NG_OP_SELU:
        st->alpha = ng_attr_float(c, "alpha", 1.67326319217681884765625f);
        st->beta = ng_attr_float(c, "gamma", 1.05070102214813232421875f);
        break;
    case NG_OP_GELU: st->alpha = ng_attr_string(c, "approximate", "none")[0] == 't'; break;
    case NG_OP_CLIP: return clip_bounds(g, c, &st->alpha, &st->beta);
    default: break;
    }
    return 1;
}

static int is_binary(ng_op op) {
    return ng_op_kind_of(op) == NG_KIND_ELTWISE_BINARY || op == NG_OP_MAX || op == NG_OP_MIN;
}

static int count_operands(const ng_node *n) { return n->n_in - n->n_main_inputs; }

/* Tries to absorb the sole consumer of node ni's output; returns the node's
 * new index, or -1 when nothing was absorbed. */
static int absorb_one(ng_graph *g, int ni, ng_report *r) {
    ng_node *n = &g->nodes[ni];
    int t = n->out[0];
    const ng_tensor *tt = &g->tensors[t];
    if (n->n_epi >= NG_MAX_EPI || tt->dtype != NNGPU_DTYPE_FLOAT32) return -1;
    int ci = ng_sole_consumer(g, t);
    int silu = 0, mul_i = -1;
    if (ci < 0) {
        /* x * sigmoid(x): t read by a Sigmoid and by the Mul of both. */
        if (tt->is_output || ng_use_count(g, t) != 2) return -1;
        for (int i = ni + 1; i < g->n_nodes && !silu; i++) {
            ng_node *s = &g->nodes[i];
            if (s->dead || s->op != NG_OP_SIGMOID || s->in[0] != t) continue;
            mul_i = ng_sole_consumer(g, s->out[0]);
            if (mul_i < 0) return -1;
            ng_node *m = &g->nodes[mul_i];
            int pair = m->op == NG_OP_MUL && m->n_in == 2 &&
                       ((m->in[0] == t && m->in[1] == s->out[0]) ||
                        (m->in[1] == t && m->in[0] == s->out[0]));
            if (!pair) return -1;
            s->dead = 1;
            silu = 1;
            ci = mul_i;
        }
        if (!silu) return -1;
    }
    ng_node *c = &g->nodes[ci];
    ng_epi_step st;
    if (silu) {
        memset(&st, 0, sizeof st);
        st.op = NG_OP_SILU;
        st.operand = -1;
    } else if (c->n_in == 1 || (c->op == NG_OP_CLIP)) {
        if (c->in[0] != t || !as_unary_step(g, c, &st)) return -1;
    } else if (is_binary(c->op) && c->n_in == 2) {
        int first = c->in[0] != t;
        int other = c->in[first ? 0 : 1];
        if (other == t) return -1;
        if (c->op == NG_OP_PRELU && first) return -1;
        if (!same_shape(&g->tensors[c->out[0]], tt)) return -1; /* would broadcast t */
        if (g->tensors[other].dtype != NNGPU_DTYPE_FLOAT32) return -1;
        /* The operand must exist where the fused node will run (at ci): it does,
         * since c reads it. Limit distinct operand tensors. */
        int known = 0;
        for (int k = n->n_main_inputs; k < n->n_in; k++) known |= n->in[k] == other;
        if (!known && count_operands(n) >= MAX_EPI_OPERANDS) return -1;
        int slot = ng_node_input_slot(n, other);
        if (slot < 0) return -1;
        memset(&st, 0, sizeof st);
        st.op = c->op;
        st.operand = slot;
        st.operand_first = first;
    } else {
        return -1;
    }
    n->epi[n->n_epi++] = st;
    if (!n->fused) ng_node_note_fused(n, ng_op_name(n->op));
    if (silu) ng_node_note_fused(n, "Sigmoid+Mul");
    else ng_node_note_fused(n, c->fused ? c->fused : ng_op_name(c->op));
    ng_report_add(r, "fuse_epilogue: %s '%s' into %s '%s'", silu ? "Sigmoid+Mul" : ng_op_name(c->op),
                  c->name, ng_op_name(n->op), n->name);
    /* n takes c's output and c's place in the order; c's husk (still owning
     * its arrays) goes dead in n's old slot. */
    int y = c->out[0];
    g->tensors[t].producer = -1;
    ng_node moved = *n, husk = *c;
    moved.out[0] = y;
    husk.dead = 1;
    g->nodes[ni] = husk;
    g->nodes[ci] = moved;
    g->tensors[y].producer = ci;
    return ci;
}

nngpu_status ng_pass_fuse_epilogues(ng_graph *g, int anchors_conv_gemm, int anchors_eltwise,
                                    ng_report *r) {
    for (int i = 0; i < g->n_nodes; i++) {
        ng_node *n = &g->nodes[i];
        if (n->dead || n->n_out != 1) continue;
        int heavy = n->op == NG_OP_CONV || n->op == NG_OP_GEMM || n->op == NG_OP_MATMUL ||
                    n->op == NG_OP_CONVTRANSPOSE || n->op == NG_OP_LAYERNORM ||
                    n->op == NG_OP_INSTANCENORM || n->op == NG_OP_GROUPNORM ||
                    n->op == NG_OP_MATMULQW || n->op == NG_OP_QLINEARCONV ||
                    n->op == NG_OP_QLINEARMATMUL; /* absorb_one: float outputs only */
        int elt = is_binary(n->op) || ng_op_kind_of(n->op) == NG_KIND_ELTWISE_UNARY;
        if ((heavy && !anchors_conv_gemm) || (elt && !anchors_eltwise) || (!heavy && !elt)) continue;
        for (int pos = i; pos >= 0;) pos = absorb_one(g, pos, r);
    }
    return NNGPU_OK;
}
