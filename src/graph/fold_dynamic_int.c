/* ConvInteger / MatMulInteger whose input zero point is known only at run
 * time (onnxruntime's quantize_dynamic writes DynamicQuantizeLinear ->
 * ConvInteger -> Cast(float) -> Mul(x_scale * w_scale)) become float layers,
 * which every device runs, written straight to the Cast's output:
 *   y = Conv / MatMul(xc, float(W - w_zp)),  xc = x_q - x_zp as float
 * Operands are integers of magnitude <= 255: products are exact and sums
 * exact up to 2^24, beyond which the float sum rounds (relative 6e-8), far
 * below the activation quantization step.
 * When x_q and x_zp come from a DynamicQuantizeLinear of a float tensor x
 * that feeds only such layers, it goes too, for float ops with
 * onnxruntime's arithmetic, op by op:
 *   lo = Min(ReduceMin(x), 0), hi = Max(ReduceMax(x), 0), s = (hi - lo) / 255
 *   scale = s + (1 - Sign(s))                       (1 for an empty range)
 *   zp = Round(Clip(-(lo / scale), 0, 255))
 *   xc = Clip(Round(x / scale) + zp, 0, 255) - zp   (half to even, saturated)
 * with scale in place of its scale output. Otherwise
 *   xc = DequantizeLinear(x_q, 1) - DequantizeLinear(x_zp, 1). */
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
 * x_zp computed at run time, w_zp constant (per tensor or per channel), its
 * output read only by a Cast to float. */
static int candidate(const ng_graph *g, const ng_node *n) {
    if (n->dead || (n->op != NG_OP_CONVINTEGER && n->op != NG_OP_MATMULINTEGER)) return 0;
    if (n->n_main_inputs < 3 || n->n_epi) return 0;
    const ng_tensor *x = ng_in(g, n, 0), *w = ng_in(g, n, 1), *xz = ng_in(g, n, 2);
    const ng_tensor *wz = n->n_main_inputs > 3 ? ng_in(g, n, 3) : NULL;
    if (!is_8bit(x) || !is_8bit(w) || !w->data || w->rank < 2 || !xz || xz->data ||
        xz->rank < 0 || ng_numel(xz) != 1 || !is_8bit(xz) || (wz && !wz->data))
        return 0;
    return float_cast_of(g, n) >= 0;
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

/* The pass's state: its float constants, and where appended nodes go. */
typedef struct rewriter {
    ng_graph *g;
    ng_appender app; /* app.at: the node new ones go before */
    int zero, one, c255;
    int ok;
} rewriter;

/* Node op(in) writing float tensor `out`, or a new one shaped like tensor
 * `like` (named "<like>_<what>") when out < 0; returns the tensor or -1. */
static int emit(rewriter *w, ng_op op, const char *what, int n_in, const int *in, int like, int out) {
    ng_graph *g = w->g;
    char name[300];
    snprintf(name, sizeof name, "%s_%s", g->tensors[like].name, what);
    if (out < 0 && (out = ng_tensor_add_unique(g, name)) >= 0) {
        ng_tensor *y = &g->tensors[out];
        y->dtype = NNGPU_DTYPE_FLOAT32;
        y->rank = g->tensors[like].rank;
        memcpy(y->dims, g->tensors[like].dims, sizeof y->dims);
    }
    if (ng_appender_add(g, &w->app, op, name, n_in, in, out) < 0) {
        w->ok = 0;
        return -1;
    }
    return out;
}

static int emit2(rewriter *w, ng_op op, const char *what, int a, int b, int like) {
    int in[2] = {a, b};
    return a < 0 || b < 0 ? (w->ok = 0, -1) : emit(w, op, what, 2, in, like, -1);
}

static int emit1(rewriter *w, ng_op op, const char *what, int a, int like) {
    return a < 0 ? (w->ok = 0, -1) : emit(w, op, what, 1, &a, like, -1);
}

/* Clip(a, 0, 255). */
static int clip_255(rewriter *w, const char *what, int a, int like) {
    int in[3] = {a, w->zero, w->c255};
    return a < 0 ? (w->ok = 0, -1) : emit(w, NG_OP_CLIP, what, 3, in, like, -1);
}

/* A reduction of x over all its axes to a scalar. */
static int reduce_all(rewriter *w, ng_op op, const char *what, int x, int scalar_like) {
    int t = emit(w, op, what, 1, &x, scalar_like, -1);
    if (t < 0) return -1;
    ng_attr *a = ng_node_add_attr(&w->g->nodes[w->g->n_nodes - 1], "keepdims", NG_ATTR_INT);
    if (!a) return w->ok = 0, -1;
    a->i = 0;
    return t;
}

/* Replaces DynamicQuantizeLinear node d (float x -> x_q, scale, zp) by the
 * float ops above; its scale output keeps its tensor. Returns xc or -1. */
static int fake_quantize(rewriter *w, int d) {
    ng_graph *g = w->g;
    int x = g->nodes[d].in[0], s_out = g->nodes[d].out[1];
    w->app.at = d;
    int mn = reduce_all(w, NG_OP_REDUCEMIN, "min", x, s_out);
    int mx = reduce_all(w, NG_OP_REDUCEMAX, "max", x, s_out);
    int lo = emit2(w, NG_OP_MIN, "lo", mn, w->zero, s_out);
    int hi = emit2(w, NG_OP_MAX, "hi", mx, w->zero, s_out);
    int s = emit2(w, NG_OP_DIV, "range", emit2(w, NG_OP_SUB, "span", hi, lo, s_out), w->c255, s_out);
    int sign = emit1(w, NG_OP_SIGN, "sign", s, s_out);
    int empty = emit2(w, NG_OP_SUB, "empty", w->one, sign, s_out);
    int in_s[2] = {s, empty};
    if (!w->ok || emit(w, NG_OP_ADD, "scale", 2, in_s, s_out, s_out) < 0) return -1;
    g->nodes[d].dead = 1; /* its scale output now comes from the Add */
    int lo_steps = emit2(w, NG_OP_DIV, "lo_steps", lo, s_out, s_out);
    int zp_raw = clip_255(w, "zp_clipped", emit1(w, NG_OP_NEG, "neg_lo", lo_steps, s_out), s_out);
    int zp = emit1(w, NG_OP_ROUND, "zp", zp_raw, s_out);
    int steps = emit1(w, NG_OP_ROUND, "steps", emit2(w, NG_OP_DIV, "scaled", x, s_out, x), x);
    int q = clip_255(w, "q", emit2(w, NG_OP_ADD, "q_raw", steps, zp, x), x);
    return emit2(w, NG_OP_SUB, "centered", q, zp, x);
}

/* xc for layer n from its x_q and x_zp: DequantizeLinear(., 1) each, Sub. */
static int centered_integers(rewriter *w, int i) {
    const ng_node *n = &w->g->nodes[i];
    int x = n->in[0], xz = n->in[2];
    w->app.at = i;
    int xd = emit2(w, NG_OP_DEQUANTIZELINEAR, "as_float", x, w->one, x);
    int zd = emit2(w, NG_OP_DEQUANTIZELINEAR, "as_float", xz, w->one, xz);
    return emit2(w, NG_OP_SUB, "centered", xd, zd, x);
}

/* Node i becomes the float layer of xc, writing its Cast's output. */
static nngpu_status to_float_layer(ng_graph *g, int i, int xc) {
    int wf = float_weight(g, &g->nodes[i]);
    if (wf < 0) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': float weight", g->nodes[i].name);
    ng_node *n = &g->nodes[i];
    int cast = float_cast_of(g, n), y = g->nodes[cast].out[0];
    ng_op old = n->op;
    n->op = old == NG_OP_CONVINTEGER ? NG_OP_CONV : NG_OP_MATMUL;
    n->in[0] = xc;
    n->in[1] = wf;
    n->n_in = n->n_main_inputs = 2;
    g->tensors[n->out[0]].producer = -1;
    n->out[0] = y;
    g->tensors[y].producer = i;
    g->nodes[cast].dead = 1;
    ng_node_note_fused(n, ng_op_name(old));
    ng_node_note_fused(n, "Cast");
    return NNGPU_OK;
}

/* The DynamicQuantizeLinear of float x feeding layer n's x_q and x_zp, when
 * every reader of its x_q and zp is such a layer; else -1. */
static int dynamic_source(const ng_graph *g, const ng_node *n) {
    int d = g->tensors[n->in[0]].producer;
    if (d < 0 || g->nodes[d].op != NG_OP_DYNAMICQUANTIZELINEAR || g->nodes[d].dead ||
        g->nodes[d].n_out != 3 || g->nodes[d].out[0] != n->in[0] || g->nodes[d].out[2] != n->in[2] ||
        ng_in(g, &g->nodes[d], 0)->dtype != NNGPU_DTYPE_FLOAT32)
        return -1;
    for (int k = 0; k < g->n_nodes; k++) {
        const ng_node *c = &g->nodes[k];
        if (c->dead) continue;
        for (int j = 0; j < c->n_in; j++) {
            int t = c->in[j];
            if (t != n->in[0] && t != n->in[2]) continue;
            if (!candidate(g, c) || c->in[0] != n->in[0] || c->in[2] != n->in[2]) return -1;
        }
    }
    int q = g->nodes[d].out[0], z = g->nodes[d].out[2];
    return g->tensors[q].is_output || g->tensors[z].is_output ? -1 : d;
}

nngpu_status ng_pass_fold_dynamic_int(ng_graph *g, ng_report *r) {
    rewriter w = {g, {g->n_nodes, NULL, 0, 0}, -1, -1, -1, 1};
    int n_old = g->n_nodes, *xc_of = NULL; /* per DynamicQuantizeLinear node: its xc */
    nngpu_status st = NNGPU_OK;
    for (int i = 0; i < n_old && st == NNGPU_OK && w.ok; i++) {
        if (!candidate(g, &g->nodes[i])) continue;
        if (w.one < 0) {
            const float v[3] = {0.0f, 1.0f, 255.0f};
            w.zero = ng_const_add(g, "dynamic_int_zero", NNGPU_DTYPE_FLOAT32, 0, NULL, &v[0]);
            w.one = ng_const_add(g, "dynamic_int_one", NNGPU_DTYPE_FLOAT32, 0, NULL, &v[1]);
            w.c255 = ng_const_add(g, "dynamic_int_255", NNGPU_DTYPE_FLOAT32, 0, NULL, &v[2]);
            xc_of = calloc((size_t)n_old, sizeof *xc_of);
            if (w.zero < 0 || w.one < 0 || w.c255 < 0 || !xc_of) w.ok = 0;
            if (!w.ok) break;
        }
        int d = g->tensors[g->nodes[i].in[0]].producer, xc;
        if (d >= 0 && d < n_old && xc_of[d]) { /* its DynamicQuantizeLinear is replaced already */
            xc = xc_of[d] - 1;
        } else if ((d = dynamic_source(g, &g->nodes[i])) >= 0) {
            xc = fake_quantize(&w, d);
            xc_of[d] = 1 + xc;
        } else {
            xc = centered_integers(&w, i);
        }
        if (xc < 0) w.ok = 0;
        if (!w.ok) break;
        st = to_float_layer(g, i, xc);
        if (st == NNGPU_OK)
            ng_report_add(r, "fold_dynamic_int: %s '%s' with a run-time zero point as a float %s%s",
                          g->nodes[i].op == NG_OP_CONV ? "ConvInteger" : "MatMulInteger",
                          g->nodes[i].name, ng_op_name(g->nodes[i].op),
                          d >= 0 ? " (its DynamicQuantizeLinear as float ops)" : "");
    }
    if (st == NNGPU_OK && !w.ok)
        st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "fold_dynamic_int: new nodes");
    nngpu_status placed = ng_appender_finish(g, &w.app);
    if (st == NNGPU_OK) st = placed;
    free(xc_of);
    return st;
}
