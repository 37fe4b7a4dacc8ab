/* Pre-quantized (QDQ) layers folded into integer ones:
 *   DQ(x_q) -> Conv(., DQ(w_q), DQ(b_int32)?) [-> Relu/Clip] -> Q   => QLinearConv
 *   DQ(a_q) -> MatMul / Gemm(., DQ(w_q), C?) [-> Relu/Clip] -> Q     => QLinearMatMul
 * Without the trailing Q the layer outputs the real value as float (y_scale
 * omitted). A bias that is not exactly acc units (an int32 DQ with scale
 * x_scale * w_scale) and a Gemm's float C become an Add epilogue step;
 * activations become epilogue steps applied before requantization.
 * Scales and zero points must be constants; anything else is left alone. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "passes.h"
#include "qdq.h"

typedef struct qdq_layer {
    int node, is_conv, trans_b;
    float alpha, beta;
    int64_t n_ch, K;         /* output channels; matmul reduction length */
    int dq_x, dq_w, dq_b;    /* node indices, -1 none */
    ng_qparams px, pw, py;
    int32_t *bias_int;       /* [n_ch] acc units, or NULL */
    float *bias_float;       /* bias_numel values (beta applied), or NULL */
    int64_t bias_numel;
    int acts[2], n_acts;     /* Relu / Clip between the layer and q */
    int q;                   /* the QuantizeLinear, -1 for float output */
} qdq_layer;

static void layer_free(qdq_layer *L) {
    ng_qparams_free(&L->px);
    ng_qparams_free(&L->pw);
    ng_qparams_free(&L->py);
    free(L->bias_int);
    free(L->bias_float);
}

/* The live node of op `op` producing tensor t, or -1. */
static int producer_op(const ng_graph *g, int t, ng_op op) {
    int p = t >= 0 ? g->tensors[t].producer : -1;
    return p >= 0 && !g->nodes[p].dead && g->nodes[p].op == op ? p : -1;
}

static int is_int8(nngpu_dtype dt) { return dt == NNGPU_DTYPE_INT8 || dt == NNGPU_DTYPE_UINT8; }

/* x = DQ(x_q) per tensor, x_q 8-bit. */
static int match_input(const ng_graph *g, qdq_layer *L) {
    const ng_node *n = &g->nodes[L->node];
    L->dq_x = producer_op(g, n->in[0], NG_OP_DEQUANTIZELINEAR);
    if (L->dq_x < 0) return 0;
    const ng_node *d = &g->nodes[L->dq_x];
    return is_int8(ng_in(g, d, 0)->dtype) && ng_qparams_of(g, d, &L->px) && L->px.n == 1;
}

/* w = DQ(w_q const), per tensor or per output channel; or DQ(b_q) per
 * tensor for a MatMul of two activations. */
static int match_weight(const ng_graph *g, qdq_layer *L) {
    const ng_node *n = &g->nodes[L->node];
    L->dq_w = producer_op(g, n->in[1], NG_OP_DEQUANTIZELINEAR);
    if (L->dq_w < 0) return 0;
    const ng_node *d = &g->nodes[L->dq_w];
    const ng_tensor *w = ng_in(g, d, 0);
    if (!is_int8(w->dtype) || !ng_qparams_of(g, d, &L->pw) || L->pw.block) return 0;
    if (!w->data) { /* a runtime B of MatMul (attention): per tensor */
        if (n->op != NG_OP_MATMUL || w->rank < 2 || L->pw.n != 1) return 0;
        L->n_ch = w->dims[w->rank - 1];
        L->K = w->dims[w->rank - 2];
        return 1;
    }
    if (L->is_conv) {
        if (w->rank < 3) return 0;
        L->n_ch = w->dims[0];
        return L->pw.n == 1 || L->pw.axis == 0;
    }
    if (w->rank != 2) return 0;
    int ch_axis = L->trans_b ? 0 : 1;
    L->n_ch = w->dims[ch_axis];
    L->K = w->dims[1 - ch_axis];
    return L->pw.n == 1 || L->pw.axis == ch_axis;
}

static float w_scale(const qdq_layer *L, int64_t c) {
    return L->pw.scale[L->pw.n == 1 ? 0 : c] * L->alpha;
}

/* Element i of DQ node d's constant output, as float (per tensor or axis). */
static float dq_value(const ng_graph *g, const ng_node *d, const ng_qparams *p, int64_t i) {
    const ng_tensor *q = ng_in(g, d, 0);
    int64_t s = 0;
    if (p->n > 1) {
        int64_t inner = 1;
        for (int k = p->axis + 1; k < q->rank; k++) inner *= q->dims[k];
        s = (i / inner) % q->dims[p->axis];
    }
    return (float)(ng_qconst_get(q, i) - p->zp[s]) * p->scale[s];
}

/* Bias: an int32 DQ with scale x_scale * w_scale[c] (exact acc units), else
 * float values (a constant or a DQ of constants); 0 when it is neither. */
static int match_bias(const ng_graph *g, qdq_layer *L) {
    const ng_node *n = &g->nodes[L->node];
    int b = n->n_in > 2 ? n->in[2] : -1;
    if (b < 0) return 1;
    const ng_tensor *bt = &g->tensors[b];
    L->bias_numel = ng_numel(bt);
    L->dq_b = producer_op(g, b, NG_OP_DEQUANTIZELINEAR);
    ng_qparams pb = {0};
    const ng_node *d = L->dq_b >= 0 ? &g->nodes[L->dq_b] : NULL;
    if (d && (!ng_in(g, d, 0)->data || !ng_qparams_of(g, d, &pb) || pb.block)) {
        ng_qparams_free(&pb);
        return 0;
    }
    if (!d && (!bt->data || bt->dtype != NNGPU_DTYPE_FLOAT32)) return 0;
    int ok = 1, exact = d && ng_in(g, d, 0)->dtype == NNGPU_DTYPE_INT32 && L->bias_numel == L->n_ch;
    for (int64_t c = 0; exact && c < L->n_ch; c++) {
        double want = (double)L->px.scale[0] * w_scale(L, c);
        double got = (double)L->beta * pb.scale[pb.n == 1 ? 0 : c];
        exact = fabs(got - want) <= 1e-5 * fabs(want);
    }
    if (exact) {
        L->bias_int = malloc(sizeof(int32_t) * (size_t)L->n_ch);
        for (int64_t c = 0; L->bias_int && c < L->n_ch; c++)
            L->bias_int[c] = ng_qconst_get(ng_in(g, d, 0), c) - pb.zp[pb.n == 1 ? 0 : c];
        ok = L->bias_int != NULL;
    } else if (!L->is_conv || L->bias_numel == L->n_ch) {
        L->bias_float = malloc(sizeof(float) * (size_t)(L->bias_numel ? L->bias_numel : 1));
        for (int64_t i = 0; L->bias_float && i < L->bias_numel; i++)
            L->bias_float[i] = L->beta * (d ? dq_value(g, d, &pb, i) : ((const float *)bt->data)[i]);
        ok = L->bias_float != NULL;
    } else {
        ok = 0;
    }
    ng_qparams_free(&pb);
    return ok;
}

/* Clip bounds from attributes (opset < 11) or constant inputs. */
static int clip_bounds(const ng_graph *g, const ng_node *n, float *lo, float *hi) {
    *lo = n->opset < 11 ? ng_attr_float(n, "min", -INFINITY) : -INFINITY;
    *hi = n->opset < 11 ? ng_attr_float(n, "max", INFINITY) : INFINITY;
    for (int k = 1; n->opset >= 11 && k <= 2; k++) {
        const ng_tensor *t = ng_in(g, n, k);
        if (!t) continue;
        if (!t->data || ng_numel(t) != 1) return 0;
        *(k == 1 ? lo : hi) = (float)ng_const_double(t, 0);
    }
    return 1;
}

/* [-> Relu/Clip]* -> Q (per tensor, 8-bit): fills acts, q, py. */
static void match_output(const ng_graph *g, qdq_layer *L) {
    int t = g->nodes[L->node].out[0];
    L->q = -1;
    for (;;) {
        int c = ng_sole_consumer(g, t);
        if (c < 0) return;
        const ng_node *n = &g->nodes[c];
        float lo, hi;
        if ((n->op == NG_OP_RELU || (n->op == NG_OP_CLIP && clip_bounds(g, n, &lo, &hi))) &&
            L->n_acts < 2 && n->in[0] == t) {
            L->acts[L->n_acts++] = c;
            t = n->out[0];
            continue;
        }
        if (n->op == NG_OP_QUANTIZELINEAR && n->in[0] == t && is_int8(ng_out(g, n, 0)->dtype) &&
            ng_qparams_of(g, n, &L->py)) {
            if (L->py.n == 1) L->q = c;
            else ng_qparams_free(&L->py);
        }
        return;
    }
}

/* A new constant named "<layer>_<what>". */
static int qconst(ng_graph *g, const char *layer, const char *what, nngpu_dtype dt, int rank,
                  const int64_t *dims, const void *v) {
    char name[256];
    snprintf(name, sizeof name, "%s_%s", layer, what);
    return ng_const_add(g, name, dt, rank, dims, v);
}

/* The weight as the layer reads it: w_q itself, or transposed to [K, N]. */
static int weight_tensor(ng_graph *g, const qdq_layer *L) {
    int w = g->nodes[L->dq_w].in[0];
    if (!L->trans_b) return w;
    const ng_tensor *t = &g->tensors[w];
    int64_t K = L->K, N = L->n_ch, dims[2] = {K, N};
    size_t es = nngpu_dtype_size(t->dtype);
    unsigned char *v = malloc((size_t)(K * N) * es + 1);
    if (!v) return -1;
    for (int64_t k = 0; k < K; k++)
        for (int64_t n = 0; n < N; n++)
            memcpy(v + (k * N + n) * es, (const unsigned char *)t->data + (n * K + k) * es, es);
    int r = ng_const_add(g, t->name, t->dtype, 2, dims, v);
    free(v);
    return r;
}

static void note_fused(ng_graph *g, ng_node *n, const qdq_layer *L, ng_op old_op) {
    free(n->fused);
    n->fused = NULL;
    ng_node_note_fused(n, "DequantizeLinear");
    ng_node_note_fused(n, ng_op_name(old_op));
    for (int a = 0; a < L->n_acts; a++) ng_node_note_fused(n, ng_op_name(g->nodes[L->acts[a]].op));
    if (L->q >= 0) ng_node_note_fused(n, "QuantizeLinear");
}

/* Rewrites the matched layer into QLinearConv / QLinearMatMul. */
static nngpu_status rewrite(ng_graph *g, qdq_layer *L) {
    ng_node *n = &g->nodes[L->node];
    char base[200];
    snprintf(base, sizeof base, "%s", n->name);
    int64_t nc = L->n_ch;
    const ng_tensor *wq = ng_in(g, &g->nodes[L->dq_w], 0);
    nngpu_dtype wdt = wq->dtype, xdt = L->px.q_dtype;
    float *ws = malloc(sizeof(float) * (size_t)nc);
    int32_t *wz = malloc(sizeof(int32_t) * (size_t)nc);
    if (!ws || !wz) {
        free(ws);
        free(wz);
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': folding Q/DQ", base);
    }
    for (int64_t c = 0; c < nc; c++) {
        ws[c] = w_scale(L, c);
        wz[c] = L->pw.zp[L->pw.n == 1 ? 0 : c];
    }
    uint8_t wz8[4096], z8;
    void *wzb = nc <= 4096 ? (void *)wz8 : malloc((size_t)nc);
    for (int64_t c = 0; wzb && c < nc; c++) ng_qconst_set(wdt, wzb, c, wz[c]);
    int64_t ch[1] = {nc};
    int in[10];
    for (int k = 0; k < 10; k++) in[k] = -1;
    in[0] = g->nodes[L->dq_x].in[0];
    in[1] = qconst(g, base, "x_scale", NNGPU_DTYPE_FLOAT32, 0, NULL, &L->px.scale[0]);
    ng_qconst_set(xdt, &z8, 0, L->px.zp[0]);
    in[2] = qconst(g, base, "x_zero_point", xdt, 0, NULL, &z8);
    in[3] = weight_tensor(g, L);
    in[4] = qconst(g, base, "w_scale", NNGPU_DTYPE_FLOAT32, 1, ch, ws);
    in[5] = wzb ? qconst(g, base, "w_zero_point", wdt, 1, ch, wzb) : -1;
    if (wzb != wz8) free(wzb);
    free(ws);
    free(wz);
    int ok = in[1] >= 0 && in[2] >= 0 && in[3] >= 0 && in[4] >= 0 && in[5] >= 0;
    if (L->q >= 0) {
        nngpu_dtype ydt = L->py.q_dtype;
        ng_qconst_set(ydt, &z8, 0, L->py.zp[0]);
        in[6] = qconst(g, base, "y_scale", NNGPU_DTYPE_FLOAT32, 0, NULL, &L->py.scale[0]);
        in[7] = qconst(g, base, "y_zero_point", ydt, 0, NULL, &z8);
        ok = ok && in[6] >= 0 && in[7] >= 0;
    }
    int n_main = L->is_conv ? 9 : 8;
    if (L->bias_int) {
        in[8] = qconst(g, base, "bias", NNGPU_DTYPE_INT32, 1, ch, L->bias_int);
        ok = ok && in[8] >= 0;
        n_main = 9;
    }
    int bias_operand = -1;
    if (L->bias_float) {
        int rank = 1;
        int64_t dims[NNGPU_MAX_DIMS] = {L->bias_numel};
        const ng_tensor *y = ng_out(g, n, 0), *c = ng_in(g, n, 2);
        if (L->is_conv) /* [K, 1, ...]: broadcasts over [N, K, spatial...] */
            for (rank = 1; rank < y->rank - 1; rank++) dims[rank] = 1;
        else {
            rank = c->rank;
            memcpy(dims, c->dims, sizeof(int64_t) * (size_t)rank);
        }
        bias_operand = qconst(g, base, "bias", NNGPU_DTYPE_FLOAT32, rank, dims, L->bias_float);
        ok = ok && bias_operand >= 0;
        n_main = 9;
    }
    int *nin = ok ? malloc(sizeof(int) * 10) : NULL;
    if (!nin) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': folding Q/DQ", base);
    n = &g->nodes[L->node];
    memcpy(nin, in, sizeof(int) * (size_t)n_main);
    free(n->in);
    n->in = nin;
    n->n_in = n->n_main_inputs = n_main;
    ng_op old = n->op;
    n->op = L->is_conv ? NG_OP_QLINEARCONV : NG_OP_QLINEARMATMUL;
    if (bias_operand >= 0) {
        n->in[n->n_in++] = bias_operand;
        n->epi[n->n_epi++] = (ng_epi_step){.op = NG_OP_ADD, .operand = n_main};
    }
    for (int a = 0; a < L->n_acts; a++) {
        const ng_node *act = &g->nodes[L->acts[a]];
        ng_epi_step st = {.op = act->op, .operand = -1};
        if (act->op == NG_OP_CLIP) clip_bounds(g, act, &st.alpha, &st.beta);
        n->epi[n->n_epi++] = st;
        g->nodes[L->acts[a]].dead = 1;
    }
    note_fused(g, n, L, old);
    if (L->q >= 0) {
        int y = g->nodes[L->q].out[0];
        g->tensors[n->out[0]].producer = -1;
        n->out[0] = y;
        g->tensors[y].producer = L->node;
        g->nodes[L->q].dead = 1;
    }
    int dqs[3] = {L->dq_x, L->dq_w, L->dq_b};
    for (int k = 0; k < 3; k++)
        if (dqs[k] >= 0 && ng_use_count(g, g->nodes[dqs[k]].out[0]) == 0) g->nodes[dqs[k]].dead = 1;
    return NNGPU_OK;
}

static int match(const ng_graph *g, qdq_layer *L) {
    const ng_node *n = &g->nodes[L->node];
    L->is_conv = n->op == NG_OP_CONV;
    L->alpha = L->beta = 1.0f;
    if (n->op == NG_OP_GEMM) {
        const ng_tensor *a = ng_in(g, n, 0);
        if (ng_attr_int(n, "transA", 0) || a->rank != 2) return 0;
        L->trans_b = ng_attr_int(n, "transB", 0) != 0;
        L->alpha = ng_attr_float(n, "alpha", 1.0f);
        L->beta = ng_attr_float(n, "beta", 1.0f);
    } else if (n->op == NG_OP_MATMUL && ng_in(g, n, 0)->rank < 2) {
        return 0;
    }
    if (n->n_epi || !match_input(g, L) || !match_weight(g, L) || !match_bias(g, L)) return 0;
    match_output(g, L);
    if (L->q < 0) L->n_acts = 0; /* float output: fuse_epilogues takes them */
    return 1;
}

nngpu_status ng_pass_fold_qdq(ng_graph *g, ng_report *r) {
    int convs = 0, matmuls = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const ng_node *n = &g->nodes[i];
        if (n->dead || (n->op != NG_OP_CONV && n->op != NG_OP_MATMUL && n->op != NG_OP_GEMM))
            continue;
        qdq_layer L = {.node = i, .dq_x = -1, .dq_w = -1, .dq_b = -1, .q = -1};
        nngpu_status st = NNGPU_OK;
        if (match(g, &L)) {
            st = rewrite(g, &L);
            if (st == NNGPU_OK) {
                n = &g->nodes[i];
                *(n->op == NG_OP_QLINEARCONV ? &convs : &matmuls) += 1;
                ng_report_add(r, "fold_qdq: %s '%s' as %s (%s output)", n->fused, n->name,
                              ng_op_name(n->op), L.q >= 0 ? "8-bit" : "float");
            }
        }
        layer_free(&L);
        NG_CHECK(st);
    }
    if (convs + matmuls)
        ng_report_add(r, "fold_qdq: %d QLinearConv, %d QLinearMatMul", convs, matmuls);
    return NNGPU_OK;
}
