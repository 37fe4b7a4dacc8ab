/* ConvInteger / MatMulInteger whose input zero point is known only at run
 * time (onnxruntime's quantize_dynamic writes DynamicQuantizeLinear ->
 * ConvInteger -> Cast(float) -> Mul(x_scale * w_scale)) become float layers,
 * which every device runs, written straight to the Cast's output:
 *   xc = DequantizeLinear(x, 1) - DequantizeLinear(x_zp, 1)
 *   y  = Conv / MatMul(xc, float(W - w_zp))
 * Operands are integers of magnitude <= 255: products are exact and sums
 * exact up to 2^24, beyond which the float sum rounds (relative 6e-8), far
 * below the activation quantization step. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "passes.h"
#include "qdq.h"

static int is_8bit(const ng_tensor *t) {
    return t && (t->dtype == NNGPU_DTYPE_INT8 || t->dtype == NNGPU_DTYPE_UINT8);
}

/* The Cast(to float32) that alone reads node n's int32 output, or -1. */
static int float_cast_of(const ng_graph *g, const ng_node *n) {
    int c = ng_sole_consumer(g, n->out[0]);
    if (c < 0 || ng_use_count(g, n->out[0]) != 1) return -1;
    const ng_node *cast = &g->nodes[c];
    const ng_tensor *y = ng_out(g, cast, 0);
    return cast->op == NG_OP_CAST && y && y->dtype == NNGPU_DTYPE_FLOAT32 ? c : -1;
}

/* Whether node n is such a layer: 8-bit x, constant 8-bit W, a one-value
 * x_zp computed at run time, w_zp constant (per tensor or per channel). */
static int candidate(const ng_graph *g, const ng_node *n) {
    if (n->dead || (n->op != NG_OP_CONVINTEGER && n->op != NG_OP_MATMULINTEGER)) return 0;
    if (n->n_main_inputs < 3 || n->n_epi) return 0;
    const ng_tensor *x = ng_in(g, n, 0), *w = ng_in(g, n, 1), *xz = ng_in(g, n, 2);
    const ng_tensor *wz = n->n_main_inputs > 3 ? ng_in(g, n, 3) : NULL;
    if (!is_8bit(x) || !is_8bit(w) || !w->data || w->rank < 2 || !xz || xz->data ||
        xz->rank < 0 || ng_numel(xz) != 1 || !is_8bit(xz))
        return 0;
    return !wz || wz->data;
}

/* float(W - w_zp[c]) as a new constant; c: the output channel (dim 0 of a
 * convolution's weight, the last dim of a matmul's). -1 when out of memory. */
static int float_weight(ng_graph *g, const ng_node *n) {
    const ng_tensor *w = ng_in(g, n, 1);
    const ng_tensor *wz = n->n_main_inputs > 3 ? ng_in(g, n, 3) : NULL;
    int64_t cnt = ng_numel(w), nz = wz ? ng_numel(wz) : 0;
    int64_t per_out = n->op == NG_OP_CONVINTEGER ? cnt / w->dims[0] : 1;
    int64_t n_ch = n->op == NG_OP_CONVINTEGER ? w->dims[0] : w->dims[w->rank - 1];
    float *v = malloc(sizeof(float) * (size_t)(cnt ? cnt : 1));
    if (!v) return -1;
    for (int64_t i = 0; i < cnt; i++) {
        int64_t c = (i / per_out) % n_ch;
        int64_t zp = nz == 0 ? 0 : ng_const_int(wz, nz == 1 ? 0 : c);
        v[i] = (float)(ng_const_int(w, i) - zp);
    }
    char base[300];
    snprintf(base, sizeof base, "%s_float_weight", n->name);
    int t = ng_const_add(g, base, NNGPU_DTYPE_FLOAT32, w->rank, w->dims, v);
    free(v);
    return t;
}

/* A new float tensor shaped like tensor `like`, produced by a new node. */
static int add_float_node(ng_graph *g, ng_op op, const char *base, int n_in, const int *in, int like) {
    char name[300];
    snprintf(name, sizeof name, "%s_%s", g->tensors[like].name, base);
    int t = ng_tensor_add_unique(g, name);
    if (t < 0) return -1;
    ng_tensor *y = &g->tensors[t];
    y->dtype = NNGPU_DTYPE_FLOAT32;
    y->rank = g->tensors[like].rank;
    memcpy(y->dims, g->tensors[like].dims, sizeof y->dims);
    return ng_node_add(g, op, name, n_in, in, 1, &t) < 0 ? -1 : t;
}

/* Rewrites node i; its new nodes are appended (anchor: i). */
static nngpu_status rewrite(ng_graph *g, int i, int cast, int one) {
    ng_node *n = &g->nodes[i];
    char name[300];
    snprintf(name, sizeof name, "%s", n->name);
    int x = n->in[0], xz = n->in[2], wf = float_weight(g, n);
    int in_x[2] = {x, one}, in_z[2] = {xz, one};
    int xd = wf < 0 ? -1 : add_float_node(g, NG_OP_DEQUANTIZELINEAR, "as_float", 2, in_x, x);
    int zd = xd < 0 ? -1 : add_float_node(g, NG_OP_DEQUANTIZELINEAR, "as_float", 2, in_z, xz);
    int in_c[2] = {xd, zd};
    int xc = zd < 0 ? -1 : add_float_node(g, NG_OP_SUB, "centered", 2, in_c, x);
    if (xc < 0) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': float layer", name);
    n = &g->nodes[i]; /* ng_node_add may have moved the nodes */
    ng_op old = n->op;
    n->op = old == NG_OP_CONVINTEGER ? NG_OP_CONV : NG_OP_MATMUL;
    n->in[0] = xc;
    n->in[1] = wf;
    n->n_in = n->n_main_inputs = 2;
    int y = g->nodes[cast].out[0];
    g->tensors[n->out[0]].producer = -1;
    n->out[0] = y;
    g->tensors[y].producer = i;
    g->nodes[cast].dead = 1;
    ng_node_note_fused(n, ng_op_name(old));
    ng_node_note_fused(n, "Cast");
    return NNGPU_OK;
}

nngpu_status ng_pass_fold_dynamic_int(ng_graph *g, ng_report *r) {
    int n_old = g->n_nodes, *anchor = NULL, one = -1;
    nngpu_status st = NNGPU_OK;
    for (int i = 0; i < n_old && st == NNGPU_OK; i++) {
        int cast;
        if (!candidate(g, &g->nodes[i]) || (cast = float_cast_of(g, &g->nodes[i])) < 0) continue;
        if (one < 0) {
            const float v = 1.0f;
            one = ng_const_add(g, "dynamic_int_one", NNGPU_DTYPE_FLOAT32, 0, NULL, &v);
            if (one < 0) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "constant");
        }
        int before = g->n_nodes;
        st = rewrite(g, i, cast, one);
        int *a = realloc(anchor, sizeof *a * (size_t)(g->n_nodes - n_old));
        if (!a) st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node order");
        anchor = a;
        for (int k = before; a && k < g->n_nodes; k++) anchor[k - n_old] = i;
        if (st == NNGPU_OK)
            ng_report_add(r, "fold_dynamic_int: %s '%s' with a run-time zero point as a float %s",
                          g->nodes[i].op == NG_OP_CONV ? "ConvInteger" : "MatMulInteger",
                          g->nodes[i].name, ng_op_name(g->nodes[i].op));
    }
    if (st == NNGPU_OK && g->n_nodes > n_old) st = ng_place_appended(g, n_old, anchor, NULL);
    free(anchor);
    return st;
}
