/* Quantized layers read into the plain numbers of lower_quant.h. */
#include "lower_quant.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "graph/infer.h"

static int is_8bit(const ng_tensor *t) {
    return t && (t->dtype == NNGPU_DTYPE_INT8 || t->dtype == NNGPU_DTYPE_UINT8);
}

/* Optional input i: 1 when omitted or a constant with count values (or one
 * value when count is 1 or one_ok); *t gets it (NULL when omitted). */
static int const_input(const ng_graph *g, const ng_node *n, int i, int64_t count, int one_ok,
                       const ng_tensor **t) {
    *t = i < n->n_main_inputs ? ng_in(g, n, i) : NULL;
    if (!*t) return 1;
    int64_t c = ng_numel(*t);
    return (*t)->data && (c == count || (one_ok && c == 1));
}

/* Value k of a per-tensor or per-channel constant (NULL: def). */
static double at(const ng_tensor *t, int64_t k, double def) {
    if (!t) return def;
    return ng_const_double(t, ng_numel(t) == 1 ? 0 : k);
}

static int matmul_dims(const ng_graph *g, const ng_node *n, ng_qlayer *q) {
    const ng_tensor *a = ng_in(g, n, q->x_input), *b = ng_in(g, n, q->w_input), *y = ng_out(g, n, 0);
    if (a->rank < 2 || b->rank < 2 || y->rank < 2) return 0;
    int64_t M = a->dims[a->rank - 2], K = a->dims[a->rank - 1], N = b->dims[b->rank - 1];
    int64_t ab = ng_numel(a) / (M * K > 0 ? M * K : 1), bb = ng_numel(b) / (K * N > 0 ? K * N : 1);
    int64_t batch = 1;
    for (int i = 0; i < y->rank - 2; i++) batch *= y->dims[i];
    if (M < 1 || K < 1 || N < 1 || batch < 1) return 0;
    if (M > INT_MAX || K > INT_MAX || N > INT_MAX || ng_numel(y) > INT_MAX || ng_numel(a) > INT_MAX ||
        ng_numel(b) > INT_MAX)
        return 0;
    /* a batch as large as the output's has its layout (its dims cannot be 1 where the
     * output's are not); one of 1 is broadcast; anything between is not a plain stride */
    if ((ab != batch && ab != 1) || (bb != batch && bb != 1)) return 0;
    q->batch = (int)batch;
    q->M = (int)M;
    q->N = (int)N;
    q->K = (int)K;
    q->a_batch_stride = ab == 1 ? 0 : M * K;
    q->b_batch_stride = bb == 1 ? 0 : K * N;
    return 1;
}

int ng_qlayer_of(const ng_graph *g, const ng_node *n, ng_qlayer *q) {
    memset(q, 0, sizeof *q);
    int ql = n->op == NG_OP_QLINEARCONV || n->op == NG_OP_QLINEARMATMUL;
    q->is_conv = n->op == NG_OP_QLINEARCONV || n->op == NG_OP_CONVINTEGER;
    if (!ql && n->op != NG_OP_CONVINTEGER && n->op != NG_OP_MATMULINTEGER) return 0;
    q->x_input = 0;
    q->w_input = ql ? 3 : 1;
    const ng_tensor *x = ng_in(g, n, q->x_input), *w = ng_in(g, n, q->w_input), *y = ng_out(g, n, 0);
    if (!is_8bit(x) || !is_8bit(w) || !y || y->rank < 0) return 0;
    q->x_signed = x->dtype == NNGPU_DTYPE_INT8;
    q->w_signed = w->dtype == NNGPU_DTYPE_INT8;
    q->w_const = w->data != NULL;
    if (q->is_conv) {
        if (!q->w_const || !ng_conv_geom_read(g, n, q->w_input, &q->conv)) return 0;
        q->n_ch = q->conv.K;
    } else {
        if (!matmul_dims(g, n, q)) return 0;
        q->n_ch = q->N;
    }
    int zx = 2, zw = ql ? 5 : 3;
    const ng_tensor *xs = NULL, *ws = NULL, *xz, *wz, *ys = NULL, *yz = NULL, *b = NULL;
    if (!const_input(g, n, zx, 1, 0, &xz) || !const_input(g, n, zw, q->n_ch, 1, &wz)) return 0;
    if (ql && (!const_input(g, n, 1, 1, 0, &xs) || !xs || !const_input(g, n, 4, q->n_ch, 1, &ws) ||
               !ws || !const_input(g, n, 6, 1, 0, &ys) || !const_input(g, n, 7, 1, 0, &yz) ||
               !const_input(g, n, 8, q->n_ch, 0, &b)))
        return 0;
    if (!ql) q->out = NG_QOUT_INT32;
    else if (!ys) q->out = NG_QOUT_FLOAT;
    else q->out = y->dtype == NNGPU_DTYPE_INT8 ? NG_QOUT_INT8 : NG_QOUT_UINT8;
    q->x_zp = (int32_t)at(xz, 0, 0);
    q->y_scale = (float)at(ys, 0, 1);
    q->y_zp = (int32_t)at(yz, 0, 0);
    size_t ch = (size_t)q->n_ch;
    q->w_zp = malloc(ch * sizeof *q->w_zp);
    q->mult = malloc(ch * sizeof *q->mult);
    q->bias = malloc(ch * sizeof *q->bias);
    if (!q->w_zp || !q->mult || !q->bias) {
        ng_qlayer_free(q);
        return 0;
    }
    float x_scale = (float)at(xs, 0, 1);
    for (int c = 0; c < q->n_ch; c++) {
        q->w_zp[c] = (int32_t)at(wz, c, 0);
        q->mult[c] = x_scale * (float)at(ws, c, 1); /* float product, as the reference */
        q->bias[c] = (int32_t)at(b, c, 0);
    }
    return 1;
}

void ng_qlayer_free(ng_qlayer *q) {
    free(q->w_zp);
    free(q->mult);
    free(q->bias);
    q->w_zp = NULL;
    q->mult = NULL;
    q->bias = NULL;
}

int ng_qconvert_of(const ng_graph *g, const ng_node *n, ng_qconvert *q) {
    memset(q, 0, sizeof *q);
    if (n->op != NG_OP_QUANTIZELINEAR && n->op != NG_OP_DEQUANTIZELINEAR) return 0;
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0), *s, *z;
    if (!x || !y || x->rank < 0 || y->rank < 0 || ng_numel(x) > INT_MAX) return 0;
    ng_qaxis a;
    if (ng_infer_qaxis(g, n, 0, 1, &a) != NNGPU_OK) return 0;
    /* the plan's scales vary along the axis only: a blocked scale that varies across
     * the other dims too is left to the CPU */
    if (a.blocked && a.outer * a.inner > 1) return 0;
    int64_t ns = a.n_blocks;
    if (!const_input(g, n, 1, ns, 0, &s) || !s || !const_input(g, n, 2, ns, 0, &z)) return 0;
    q->quantize = n->op == NG_OP_QUANTIZELINEAR;
    q->x_dtype = x->dtype;
    q->y_dtype = y->dtype;
    q->n = ng_numel(x);
    q->outer = a.outer;
    q->axis_len = a.axis_len;
    q->inner = a.inner;
    q->block = (int)a.block;
    q->n_scales = (int)ns;
    q->scale = malloc((size_t)ns * sizeof *q->scale);
    q->zp = malloc((size_t)ns * sizeof *q->zp);
    if (!q->scale || !q->zp) {
        ng_qconvert_free(q);
        return 0;
    }
    for (int64_t i = 0; i < ns; i++) {
        q->scale[i] = (float)ng_const_double(s, i);
        q->zp[i] = z ? (int32_t)ng_const_int(z, i) : 0;
    }
    return 1;
}

void ng_qconvert_free(ng_qconvert *q) {
    free(q->scale);
    free(q->zp);
    q->scale = NULL;
    q->zp = NULL;
}

int ng_qweight_of(const ng_graph *g, const ng_node *n, ng_qweight *q) {
    memset(q, 0, sizeof *q);
    if (n->op != NG_OP_MATMULQW) return 0;
    const ng_tensor *x = ng_in(g, n, 0), *w = ng_in(g, n, 1), *y = ng_out(g, n, 0), *s, *z;
    if (!x || !w || !y || x->rank < 1 || w->rank != 2 || !w->data || y->rank < 1) return 0;
    int four = w->dtype == NNGPU_DTYPE_INT4 || w->dtype == NNGPU_DTYPE_UINT4;
    if (!four && !is_8bit(w)) return 0;
    int64_t K = w->dims[0], N = w->dims[1], M = x->rank >= 2 ? x->dims[x->rank - 2] : 1;
    int64_t bs = ng_attr_int(n, "block_size", 0);
    if (bs <= 0 || bs > K) bs = K;
    if (K < 1 || N < 1 || M < 1 || x->dims[x->rank - 1] != K || K > INT_MAX || N > INT_MAX ||
        ng_numel(x) > INT_MAX || ng_numel(y) > INT_MAX || ng_numel(w) > INT_MAX)
        return 0;
    int64_t groups = (K + bs - 1) / bs;
    if (!const_input(g, n, 2, groups * N, 0, &s) || !s || !const_input(g, n, 3, groups * N, 0, &z))
        return 0;
    q->batch = (int)(ng_numel(x) / (M * K));
    q->M = (int)M;
    q->N = (int)N;
    q->K = (int)K;
    q->bits = four ? 4 : 8;
    q->w_signed = w->dtype == NNGPU_DTYPE_INT4 || w->dtype == NNGPU_DTYPE_INT8;
    q->block = (int)bs;
    q->n_groups = (int)groups;
    q->w = w;
    size_t cnt = (size_t)(groups * N);
    q->scale = malloc(cnt * sizeof *q->scale);
    q->zp = malloc(cnt * sizeof *q->zp);
    if (!q->scale || !q->zp) {
        ng_qweight_free(q);
        return 0;
    }
    for (size_t i = 0; i < cnt; i++) {
        q->scale[i] = (float)ng_const_double(s, (int64_t)i);
        q->zp[i] = z ? (int32_t)ng_const_int(z, (int64_t)i) : 0;
    }
    return 1;
}

void ng_qweight_free(ng_qweight *q) {
    free(q->scale);
    free(q->zp);
    q->scale = NULL;
    q->zp = NULL;
}
