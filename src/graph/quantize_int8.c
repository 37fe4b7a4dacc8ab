/* INT8 post-training quantization: Conv -> QLinearConv, Gemm/MatMul with a
 * constant 2-D weight -> QLinearMatMul (see passes.h, runtime/lower_quant.h).
 *
 * Every layer is planned first (weights quantized, int32 bias checked) so a
 * layer that cannot be quantized safely stays fp32 before anything changes.
 * The graph is then rewritten: the new nodes are appended and the node array
 * is reordered so each runs where the layer it replaces stood, its
 * QuantizeLinear nodes just before their first reader. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/quant.h"
#include "passes.h"
#include "qdq.h"

typedef struct qplan {
    int node;           /* the float layer */
    int is_conv;
    int x, y;
    int n_ch;           /* output channels: conv K, matmul N */
    int w_rank;
    int64_t w_dims[4];  /* conv [K, C/group, kh, kw]; matmul [K, N] */
    int8_t *wq;
    float *w_scale;     /* [n_ch] */
    int32_t *bias_i32;  /* conv: [n_ch] */
    float *bias_f;      /* matmul: [n_ch] added by the first epilogue step; NULL: none */
    int bias_merge;     /* matmul: input slot of an epilogue Add operand the bias replaces, -1 */
    int keep_int8;      /* output stays int8 */
} qplan;

static void qplan_free(qplan *p) {
    free(p->wq);
    free(p->w_scale);
    free(p->bias_i32);
    free(p->bias_f);
}

static int is_f32(const ng_tensor *t) { return t && t->dtype == NNGPU_DTYPE_FLOAT32; }
static int is_const_f32(const ng_tensor *t) { return is_f32(t) && t->data; }

/* Why node n is not a layer this pass rewrites (NULL: it is). */
static const char *structure_check(const ng_graph *g, const ng_node *n) {
    const ng_tensor *x = ng_in(g, n, 0), *w = ng_in(g, n, 1), *y = ng_out(g, n, 0);
    if (n->n_out != 1 || !is_f32(y) || !is_f32(x)) return "not float32";
    for (int k = n->n_main_inputs; k < n->n_in; k++)
        if (!is_f32(ng_in(g, n, k))) return "an epilogue operand is not float32";
    if (!is_const_f32(w)) return "its weight is not a float32 constant";
    if (!ng_const_all_finite(w)) return "its weight holds NaN or infinity";
    if (n->op == NG_OP_CONV) {
        if ((x->rank != 4 && x->rank != 3) || w->rank != x->rank)
            return "not a 1-D or 2-D convolution";
        if (n->n_main_inputs > 2 && ng_in(g, n, 2) &&
            (!is_const_f32(ng_in(g, n, 2)) || ng_numel(ng_in(g, n, 2)) != w->dims[0]))
            return "its bias is not a constant of K values";
        int64_t group = ng_attr_int(n, "group", 1);
        if (group < 1 || x->dims[1] != w->dims[1] * group || w->dims[0] % group)
            return "channels do not match the groups";
        return NULL;
    }
    if (n->op != NG_OP_GEMM && n->op != NG_OP_MATMUL) return "not Conv/Gemm/MatMul";
    if (w->rank != 2) return "its weight is not 2-D";
    if (x->rank < 2) return "its input is not at least 2-D";
    if (n->op == NG_OP_GEMM) {
        if (ng_attr_int(n, "transA", 0)) return "transA";
        if (x->rank != 2) return "Gemm input is not 2-D";
        int64_t N = ng_attr_int(n, "transB", 0) ? w->dims[0] : w->dims[1];
        const ng_tensor *c = n->n_main_inputs > 2 ? ng_in(g, n, 2) : NULL;
        if (c && !(is_const_f32(c) &&
                   (ng_numel(c) == 1 || (ng_numel(c) == N && c->dims[c->rank - 1] == N))))
            return "its C is not a constant row";
        if (x->dims[1] != (ng_attr_int(n, "transB", 0) ? w->dims[1] : w->dims[0]))
            return "shapes do not match";
    } else if (x->dims[x->rank - 1] != w->dims[0]) {
        return "shapes do not match";
    }
    return NULL;
}

/* Activation quantization of a calibrated range: scale (hi-lo)/255, zero point in [-128, 127]. */
static int act_params(const ng_quant_range *r, float *scale, int8_t *zp) {
    if (!r || !r->known || !isfinite(r->lo) || !isfinite(r->hi)) return 0;
    double lo = r->lo < 0 ? r->lo : 0, hi = r->hi > 0 ? r->hi : 0;
    double s = (hi - lo) / 255.0;
    if (!(s > 1e-30)) s = 1.0 / 255.0; /* all zeros: x - zp is 0; the scale only sets the bias step */
    double z = nearbyint(-128.0 - lo / s);
    *scale = (float)s;
    *zp = (int8_t)(z < -128 ? -128 : z > 127 ? 127 : z);
    return 1;
}

/* Symmetric int8 in [-127, 127] of the n weights w[at + k * step] into q
 * (same places); returns their scale. */
static float quantize_channel(const float *w, int64_t n, int64_t at, int64_t step, int8_t *q) {
    float s = ng_quant_symmetric_scale(w, n, at, step, 127);
    for (int64_t k = 0; k < n; k++)
        q[at + k * step] = (int8_t)ng_quantize_value(w[at + k * step], s, 0, -127, 127);
    return s;
}

static const char *plan_conv(const ng_graph *g, const ng_node *n, const ng_quant_range *rx,
                             float x_scale, int bias_correction, qplan *p) {
    const ng_tensor *w = ng_in(g, n, 1);
    const ng_tensor *b = n->n_main_inputs > 2 ? ng_in(g, n, 2) : NULL;
    const float *wf = w->data;
    int64_t K = w->dims[0], per = ng_numel(w) / K, cg = w->dims[1], spatial = per / cg;
    int64_t group = ng_attr_int(n, "group", 1), k_per_group = K / group;
    p->n_ch = (int)K;
    p->w_rank = w->rank;
    memcpy(p->w_dims, w->dims, sizeof p->w_dims);
    p->wq = malloc((size_t)ng_numel(w));
    p->w_scale = malloc(sizeof(float) * (size_t)K);
    p->bias_i32 = malloc(sizeof(int32_t) * (size_t)K);
    if (!p->wq || !p->w_scale || !p->bias_i32) return "out of memory";
    int correct = bias_correction && rx->mean && rx->n_ch == g->tensors[p->x].dims[1];
    for (int64_t c = 0; c < K; c++) {
        p->w_scale[c] = quantize_channel(wf, per, c * per, 1, p->wq);
        double bias = b ? ((const float *)b->data)[c] : 0.0;
        if (correct) {
            int64_t first = (c / k_per_group) * cg;
            for (int64_t e = 0; e < per; e++) {
                double err = p->wq[c * per + e] * (double)p->w_scale[c] - wf[c * per + e];
                bias -= err * rx->mean[first + e / spatial];
            }
        }
        double v = nearbyint(bias / ((double)x_scale * p->w_scale[c]));
        if (!(fabs(v) < 2147483647.0)) return "its bias does not fit int32 at this input scale";
        p->bias_i32[c] = (int32_t)v;
    }
    return NULL;
}

/* The epilogue Add of a constant row [N] the bias can be added into, or -1. */
static int bias_add_slot(const ng_graph *g, const ng_node *n, int64_t N) {
    if (n->n_epi < 1 || n->epi[0].op != NG_OP_ADD || n->epi[0].operand < 0) return -1;
    const ng_tensor *c = ng_in(g, n, n->epi[0].operand);
    if (!is_const_f32(c) || ng_numel(c) != N || c->dims[c->rank - 1] != N) return -1;
    return n->epi[0].operand;
}

static const char *plan_matmul(const ng_graph *g, const ng_node *n, const ng_quant_range *rx,
                               int bias_correction, qplan *p) {
    const ng_tensor *w = ng_in(g, n, 1);
    int gemm = n->op == NG_OP_GEMM, trans_b = gemm && ng_attr_int(n, "transB", 0);
    double alpha = gemm ? ng_attr_float(n, "alpha", 1.0f) : 1.0;
    double beta = gemm ? ng_attr_float(n, "beta", 1.0f) : 1.0;
    const ng_tensor *c = gemm && n->n_main_inputs > 2 ? ng_in(g, n, 2) : NULL;
    int64_t K = trans_b ? w->dims[1] : w->dims[0], N = trans_b ? w->dims[0] : w->dims[1];
    const float *wf = w->data;
    float *wt = malloc(sizeof(float) * (size_t)(K * N));
    p->n_ch = (int)N;
    p->w_rank = 2;
    p->w_dims[0] = K;
    p->w_dims[1] = N;
    p->wq = malloc((size_t)(K * N));
    p->w_scale = malloc(sizeof(float) * (size_t)N);
    p->bias_f = calloc((size_t)N, sizeof(float));
    p->bias_merge = -1;
    if (!wt || !p->wq || !p->w_scale || !p->bias_f) {
        free(wt);
        return "out of memory";
    }
    for (int64_t k = 0; k < K; k++)
        for (int64_t j = 0; j < N; j++)
            wt[k * N + j] = (float)(alpha * (trans_b ? wf[j * K + k] : wf[k * N + j]));
    const ng_tensor *x = &g->tensors[p->x];
    int correct = bias_correction && rx->mean && rx->n_ch == x->dims[x->rank - 1];
    int any = 0;
    for (int64_t j = 0; j < N; j++) {
        p->w_scale[j] = quantize_channel(wt, K, j, N, p->wq);
        double bias = c ? beta * ((const float *)c->data)[ng_numel(c) == 1 ? 0 : j] : 0.0;
        if (correct)
            for (int64_t k = 0; k < K; k++)
                bias -= (p->wq[k * N + j] * (double)p->w_scale[j] - wt[k * N + j]) * rx->mean[k];
        p->bias_f[j] = (float)bias;
        any |= p->bias_f[j] != 0;
    }
    free(wt);
    if (!any) {
        free(p->bias_f);
        p->bias_f = NULL;
        return NULL;
    }
    p->bias_merge = bias_add_slot(g, n, N);
    if (p->bias_merge >= 0) return NULL;
    if (n->n_in - n->n_main_inputs < 2 && n->n_epi < NG_MAX_EPI) return NULL;
    if (c) return "no epilogue slot left for its bias";
    free(p->bias_f); /* only the correction would need the slot: go without it */
    p->bias_f = NULL;
    return NULL;
}

static const char *plan_layer(const ng_graph *g, int ni, const ng_quant_range *ranges,
                              int bias_correction, qplan *p) {
    const ng_node *n = &g->nodes[ni];
    const char *why = structure_check(g, n);
    if (why) return why;
    memset(p, 0, sizeof *p);
    p->node = ni;
    p->is_conv = n->op == NG_OP_CONV;
    p->x = n->in[0];
    p->y = n->out[0];
    float x_scale;
    int8_t x_zp;
    if (!act_params(&ranges[p->x], &x_scale, &x_zp)) return "no finite calibration range for its input";
    if (p->is_conv) return plan_conv(g, n, &ranges[p->x], x_scale, bias_correction, p);
    return plan_matmul(g, n, &ranges[p->x], bias_correction, p);
}

void ng_quantize_int8_wanted(const ng_graph *g, unsigned char *need, int *mean_axis) {
    for (int t = 0; t < g->n_tensors; t++) {
        need[t] = 0;
        mean_axis[t] = -1;
    }
    for (int i = 0; i < g->n_nodes; i++) {
        const ng_node *n = &g->nodes[i];
        if (n->dead || structure_check(g, n)) continue;
        const ng_tensor *x = ng_in(g, n, 0);
        need[n->in[0]] = need[n->out[0]] = 1;
        mean_axis[n->in[0]] = n->op == NG_OP_CONV ? 1 : x->rank - 1;
    }
}

/* ---- rewriting -------------------------------------------------------------- */

typedef struct qrewrite {
    ng_graph *g;
    const ng_quant_range *ranges;
    int *scale_t, *zp_t;   /* [n_tensors at start]: the tensor's activation scale / zp constants */
    int *quantized;        /* [n_tensors at start]: the int8 tensor QuantizeLinear made of it */
    int *anchor;           /* [nodes]: new node -> the old node it runs before, -1 */
    int cap_anchor;
    int n_old_tensors;
} qrewrite;

static nngpu_status act_consts(qrewrite *q, int t) {
    if (q->scale_t[t] >= 0) return NNGPU_OK;
    float s;
    int8_t zp;
    act_params(&q->ranges[t], &s, &zp);
    char base[300];
    snprintf(base, sizeof base, "%s_scale", q->g->tensors[t].name);
    int st = ng_const_add(q->g, base, NNGPU_DTYPE_FLOAT32, 0, NULL, &s);
    snprintf(base, sizeof base, "%s_zero_point", q->g->tensors[t].name);
    int zt = st >= 0 ? ng_const_add(q->g, base, NNGPU_DTYPE_INT8, 0, NULL, &zp) : -1;
    if (zt < 0) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "quantization constants of '%s'",
                                q->g->tensors[t].name);
    q->scale_t[t] = st;
    q->zp_t[t] = zt;
    return NNGPU_OK;
}

static nngpu_status note_anchor(qrewrite *q, int node, int before) {
    if (node >= q->cap_anchor) {
        int cap = q->cap_anchor * 2 > node + 1 ? q->cap_anchor * 2 : node + 16;
        int *a = realloc(q->anchor, sizeof(int) * (size_t)cap);
        if (!a) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "quantize_int8 node order");
        for (int i = q->cap_anchor; i < cap; i++) a[i] = -1;
        q->anchor = a;
        q->cap_anchor = cap;
    }
    q->anchor[node] = before;
    return NNGPU_OK;
}

/* The int8 tensor holding x for a layer at node `before`. */
static nngpu_status quantized_input(qrewrite *q, int x, int before, int *out) {
    ng_graph *g = q->g;
    NG_CHECK(act_consts(q, x));
    if (g->tensors[x].dtype == NNGPU_DTYPE_INT8) { /* a quantized layer's int8 output */
        *out = x;
        return NNGPU_OK;
    }
    if (q->quantized[x] >= 0) {
        *out = q->quantized[x];
        return NNGPU_OK;
    }
    char base[300];
    snprintf(base, sizeof base, "%s_quantized", g->tensors[x].name);
    int xq = ng_tensor_add_unique(g, base);
    if (xq < 0) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "tensor '%s'", base);
    ng_tensor *t = &g->tensors[xq];
    t->dtype = NNGPU_DTYPE_INT8;
    t->rank = g->tensors[x].rank;
    memcpy(t->dims, g->tensors[x].dims, sizeof t->dims);
    int in[3] = {x, q->scale_t[x], q->zp_t[x]};
    snprintf(base, sizeof base, "%s_QuantizeLinear", g->tensors[x].name);
    int id = ng_node_add(g, NG_OP_QUANTIZELINEAR, base, 3, in, 1, &xq);
    if (id < 0) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s'", base);
    NG_CHECK(note_anchor(q, id, before));
    q->quantized[x] = xq;
    *out = xq;
    return NNGPU_OK;
}

static nngpu_status copy_attrs(ng_node *to, const ng_node *from) {
    for (int i = 0; i < from->n_attr; i++) {
        const ng_attr *a = &from->attrs[i];
        if (a->type == NG_ATTR_TENSOR) continue;
        ng_attr *b = ng_node_add_attr(to, a->name, a->type);
        if (!b) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s' attributes", from->name);
        b->i = a->i;
        b->f = a->f;
        b->n = a->n;
        if (a->ints) b->ints = malloc(sizeof(int64_t) * (size_t)(a->n ? a->n : 1));
        if (a->floats) b->floats = malloc(sizeof(float) * (size_t)(a->n ? a->n : 1));
        if (a->s) b->s = strdup(a->s);
        if ((a->ints && !b->ints) || (a->floats && !b->floats) || (a->s && !b->s))
            return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s' attributes", from->name);
        if (a->ints) memcpy(b->ints, a->ints, sizeof(int64_t) * (size_t)a->n);
        if (a->floats) memcpy(b->floats, a->floats, sizeof(float) * (size_t)a->n);
    }
    return NNGPU_OK;
}

/* Replaces plan p's float layer by its quantized node. */
static nngpu_status rewrite_layer(qrewrite *q, const qplan *p) {
    ng_graph *g = q->g;
    const char *name = g->nodes[p->node].name;
    char base[300];
    int in[16 + NG_MAX_EPI], n_in = 0;
    int xq = -1;
    NG_CHECK(quantized_input(q, p->x, p->node, &xq));
    in[n_in++] = xq;
    in[n_in++] = q->scale_t[p->x];
    in[n_in++] = q->zp_t[p->x];
    int64_t ch = p->n_ch;
    int8_t *zeros = calloc((size_t)ch, 1);
    if (!zeros) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s'", name);
    snprintf(base, sizeof base, "%s_weight_quantized", name);
    int wq = ng_const_add(g, base, NNGPU_DTYPE_INT8, p->w_rank, p->w_dims, p->wq);
    snprintf(base, sizeof base, "%s_weight_scale", name);
    int ws = wq < 0 ? -1 : ng_const_add(g, base, NNGPU_DTYPE_FLOAT32, 1, &ch, p->w_scale);
    snprintf(base, sizeof base, "%s_weight_zero_point", name);
    int wz = ws < 0 ? -1 : ng_const_add(g, base, NNGPU_DTYPE_INT8, 1, &ch, zeros);
    free(zeros);
    if (wz < 0) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': quantized weights", name);
    in[n_in++] = wq;
    in[n_in++] = ws;
    in[n_in++] = wz;
    if (p->keep_int8) {
        NG_CHECK(act_consts(q, p->y));
        in[n_in++] = q->scale_t[p->y];
        in[n_in++] = q->zp_t[p->y];
    } else {
        in[n_in++] = -1;
        in[n_in++] = -1;
    }
    if (p->is_conv) {
        snprintf(base, sizeof base, "%s_bias_quantized", name);
        int b = ng_const_add(g, base, NNGPU_DTYPE_INT32, 1, &ch, p->bias_i32);
        if (b < 0) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': bias", name);
        in[n_in++] = b;
    }
    int n_main = n_in;
    const ng_node *old = &g->nodes[p->node];
    int shift = n_main - old->n_main_inputs;
    for (int k = old->n_main_inputs; k < old->n_in; k++) in[n_in++] = old->in[k];
    int bias_t = -1;
    if (p->bias_f) {
        snprintf(base, sizeof base, "%s_bias", name);
        const ng_tensor *row = p->bias_merge >= 0 ? ng_in(g, old, p->bias_merge) : NULL;
        float *merged = malloc(sizeof(float) * (size_t)ch);
        if (!merged) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': bias", name);
        for (int64_t j = 0; j < ch; j++)
            merged[j] = p->bias_f[j] + (row ? ((const float *)row->data)[j] : 0.0f);
        bias_t = ng_const_add(g, base, NNGPU_DTYPE_FLOAT32, 1, &ch, merged);
        free(merged);
        if (bias_t < 0) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': bias", name);
        old = &g->nodes[p->node];
        if (p->bias_merge >= 0) in[p->bias_merge + shift] = bias_t;
        else in[n_in++] = bias_t;
    }
    if (p->keep_int8) g->tensors[p->y].dtype = NNGPU_DTYPE_INT8;
    ng_op op = p->is_conv ? NG_OP_QLINEARCONV : NG_OP_QLINEARMATMUL;
    int id = ng_node_add(g, op, name, n_in, in, 1, &p->y);
    if (id < 0) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s'", name);
    NG_CHECK(note_anchor(q, id, p->node));
    ng_node *nn = &g->nodes[id];
    old = &g->nodes[p->node];
    nn->n_main_inputs = n_main;
    nn->n_epi = 0;
    if (p->bias_f && p->bias_merge < 0) /* real + bias first, then the layer's own steps */
        nn->epi[nn->n_epi++] = (ng_epi_step){NG_OP_ADD, n_in - 1, 0, 0, 0};
    for (int s = 0; s < old->n_epi; s++) {
        ng_epi_step e = old->epi[s];
        if (e.operand >= 0) e.operand += shift;
        nn->epi[nn->n_epi++] = e;
    }
    nn->fused = strdup(old->fused ? old->fused : ng_op_name(old->op));
    if (!nn->fused) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s'", name);
    if (p->is_conv) NG_CHECK(copy_attrs(nn, old));
    g->nodes[p->node].dead = 1;
    return NNGPU_OK;
}

/* Output y of a planned layer stays int8 when only planned layers read it, as their data input. */
static int output_stays_int8(const ng_graph *g, const int *plan_of, int y,
                             const ng_quant_range *ranges) {
    float s;
    int8_t zp;
    if (g->tensors[y].is_output || !act_params(&ranges[y], &s, &zp)) return 0;
    int readers = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const ng_node *n = &g->nodes[i];
        if (n->dead) continue;
        for (int k = 0; k < n->n_in; k++) {
            if (n->in[k] != y) continue;
            if (plan_of[i] < 0 || k != 0) return 0;
            readers++;
        }
    }
    return readers > 0;
}

nngpu_status ng_pass_quantize_int8(ng_graph *g, const ng_quant_range *ranges, int bias_correction,
                                   const unsigned char *keep_fp32, ng_report *r, int *n_int8,
                                   int *n_fp32) {
    int n_old = g->n_nodes, nt = g->n_tensors;
    qplan *plans = calloc((size_t)(n_old ? n_old : 1), sizeof *plans);
    int *plan_of = malloc(sizeof(int) * (size_t)(n_old ? n_old : 1));
    qrewrite q = {g, ranges, NULL, NULL, NULL, NULL, 0, nt};
    q.scale_t = malloc(sizeof(int) * (size_t)(nt ? nt : 1) * 3);
    nngpu_status st = NNGPU_OK;
    if (!plans || !plan_of || !q.scale_t) st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "quantize_int8");
    int n_plans = 0;
    *n_int8 = *n_fp32 = 0;
    for (int i = 0; st == NNGPU_OK && i < n_old; i++) {
        plan_of[i] = -1;
        const ng_node *n = &g->nodes[i];
        if (n->dead || (n->op != NG_OP_CONV && n->op != NG_OP_GEMM && n->op != NG_OP_MATMUL))
            continue;
        qplan *p = &plans[n_plans];
        const char *why = keep_fp32 && n->n_out > 0 && n->out[0] < nt && keep_fp32[n->out[0]]
                              ? "kept fp32 by the int8 guard"
                              : plan_layer(g, i, ranges, bias_correction, p);
        if (why) {
            qplan_free(p);
            memset(p, 0, sizeof *p);
            ng_report_add(r, "quantize_int8: %s '%s' stays fp32: %s", ng_op_name(n->op), n->name,
                          why);
            (*n_fp32)++;
            continue;
        }
        plan_of[i] = n_plans++;
    }
    if (st == NNGPU_OK) {
        q.zp_t = q.scale_t + nt;
        q.quantized = q.zp_t + nt;
        for (int t = 0; t < 3 * nt; t++) q.scale_t[t] = -1;
        for (int i = 0; i < n_plans; i++)
            plans[i].keep_int8 = output_stays_int8(g, plan_of, plans[i].y, ranges);
    }
    for (int i = 0; st == NNGPU_OK && i < n_plans; i++) {
        const ng_node *n = &g->nodes[plans[i].node];
        ng_report_add(r, "quantize_int8: %s '%s' -> %s (%s output)", ng_op_name(n->op), n->name,
                      plans[i].is_conv ? "QLinearConv" : "QLinearMatMul",
                      plans[i].keep_int8 ? "int8" : "float");
        st = rewrite_layer(&q, &plans[i]);
    }
    if (st == NNGPU_OK && n_plans) st = ng_place_appended(g, n_old, q.anchor + n_old, NULL);
    *n_int8 = n_plans;
    for (int i = 0; i < n_plans; i++) qplan_free(&plans[i]);
    free(plans);
    free(plan_of);
    free(q.scale_t);
    free(q.anchor);
    return st;
}
