/* Shape and dtype inference: QuantizeLinear, DequantizeLinear, QLinearConv,
 * QLinearMatMul, ConvInteger, MatMulInteger and the internal MatMulQuantW. */
#include <string.h>

#include "infer_internal.h"

#define MAXD NNGPU_MAX_DIMS
#define ERR(...) ng_infer_err(n, __VA_ARGS__)

static int is_float(nngpu_dtype t) {
    return t == NNGPU_DTYPE_FLOAT32 || t == NNGPU_DTYPE_FLOAT16 || t == NNGPU_DTYPE_FLOAT64;
}
static int is_8bit(nngpu_dtype t) { return t == NNGPU_DTYPE_INT8 || t == NNGPU_DTYPE_UINT8; }
static int is_4bit(nngpu_dtype t) { return t == NNGPU_DTYPE_INT4 || t == NNGPU_DTYPE_UINT4; }

static int same_shape(const ng_tensor *a, const ng_tensor *b) {
    if (a->rank != b->rank) return 0;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i]) return 0;
    return 1;
}

nngpu_status ng_infer_qaxis(const ng_graph *g, const ng_node *n, int xi, int si, ng_qaxis *q) {
    const ng_tensor *x, *s;
    NG_CHECK(ng_infer_need(g, n, xi, &x));
    NG_CHECK(ng_infer_need(g, n, si, &s));
    int64_t cnt = ng_numel(x);
    memset(q, 0, sizeof *q);
    q->outer = q->inner = 1;
    q->axis_len = cnt;
    q->block = cnt > 0 ? cnt : 1;
    q->n_blocks = 1;
    int64_t bs = ng_attr_int(n, "block_size", 0); /* opset 21; also MatMulNBits' rewrite */
    if (bs < 0) return ERR(NNGPU_ERR_INVALID_ARG, "block_size %lld is negative", (long long)bs);
    if (ng_numel(s) == 1 && s->rank <= 1 && bs == 0) return NNGPU_OK; /* per tensor */
    if (n->opset < 13)
        return ERR(NNGPU_ERR_INVALID_ARG, "scale '%s' must be a scalar before opset 13", s->name);
    int ax = ng_axis(ng_attr_int(n, "axis", 1), x->rank);
    if (ax < 0) return ERR(NNGPU_ERR_INVALID_ARG, "axis is out of range for rank %d", x->rank);
    for (int i = 0; i < ax; i++) q->outer *= x->dims[i];
    for (int i = ax + 1; i < x->rank; i++) q->inner *= x->dims[i];
    q->axis_len = x->dims[ax];
    if (bs == 0) {
        if (s->rank != 1 || s->dims[0] != q->axis_len)
            return ERR(NNGPU_ERR_INVALID_ARG, "scale '%s' must be a scalar or [%lld] (axis %d)",
                       s->name, (long long)q->axis_len, ax);
        q->block = 1;
        q->n_blocks = q->axis_len;
        return NNGPU_OK;
    }
    q->blocked = 1;
    q->block = bs;
    q->n_blocks = (q->axis_len + bs - 1) / bs;
    int ok = s->rank == x->rank;
    for (int i = 0; ok && i < x->rank; i++)
        ok = s->dims[i] == (i == ax ? q->n_blocks : x->dims[i]);
    if (!ok)
        return ERR(NNGPU_ERR_INVALID_ARG,
                   "scale '%s' must have x's shape with %lld blocks of %lld along axis %d",
                   s->name, (long long)q->n_blocks, (long long)bs, ax);
    return NNGPU_OK;
}

/* The zero point at input zi, when present, must have the scale's shape. */
static nngpu_status check_zp(const ng_graph *g, const ng_node *n, int si, int zi) {
    const ng_tensor *s = ng_in(g, n, si), *z = ng_infer_opt(g, n, zi);
    if (!z) return NNGPU_OK;
    if (z->rank < 0 || ng_numel(z) != ng_numel(s) || (ng_numel(s) > 1 && !same_shape(s, z)))
        return ERR(NNGPU_ERR_INVALID_ARG, "zero point '%s' does not have the shape of scale '%s'",
                   z->name, s->name);
    return NNGPU_OK;
}

static nngpu_status infer_quantize(ng_graph *g, ng_node *n) {
    ng_qaxis q;
    NG_CHECK(ng_infer_qaxis(g, n, 0, 1, &q));
    NG_CHECK(check_zp(g, n, 1, 2));
    const ng_tensor *x = ng_in(g, n, 0), *s = ng_in(g, n, 1), *z = ng_infer_opt(g, n, 2);
    if (!is_float(x->dtype) && x->dtype != NNGPU_DTYPE_INT32)
        return ERR(NNGPU_ERR_UNSUPPORTED, "input '%s' is %s", x->name, nngpu_dtype_name(x->dtype));
    if (!is_float(s->dtype)) return ERR(NNGPU_ERR_INVALID_ARG, "scale '%s' is not float", s->name);
    nngpu_dtype yt = NNGPU_DTYPE_UINT8;
    int64_t od = ng_attr_int(n, "output_dtype", 0);
    if (z) yt = z->dtype;
    else if (od) yt = ng_infer_onnx_dtype(od);
    if (z && od && ng_infer_onnx_dtype(od) != z->dtype)
        return ERR(NNGPU_ERR_INVALID_ARG, "output_dtype disagrees with zero point '%s'", z->name);
    if (!is_8bit(yt) && !is_4bit(yt))
        return ERR(NNGPU_ERR_UNSUPPORTED, "output type %s", nngpu_dtype_name(yt));
    ng_infer_set_out(g, n, 0, yt, x->rank, x->dims);
    return NNGPU_OK;
}

static nngpu_status infer_dynamic_quantize(ng_graph *g, ng_node *n) {
    const ng_tensor *x;
    NG_CHECK(ng_infer_need(g, n, 0, &x));
    if (x->dtype != NNGPU_DTYPE_FLOAT32)
        return ERR(NNGPU_ERR_UNSUPPORTED, "input '%s' is %s, not float32", x->name,
                   nngpu_dtype_name(x->dtype));
    ng_infer_set_out(g, n, 0, NNGPU_DTYPE_UINT8, x->rank, x->dims);
    ng_infer_set_out(g, n, 1, NNGPU_DTYPE_FLOAT32, 0, NULL);
    ng_infer_set_out(g, n, 2, NNGPU_DTYPE_UINT8, 0, NULL);
    return NNGPU_OK;
}

static nngpu_status infer_dequantize(ng_graph *g, ng_node *n) {
    ng_qaxis q;
    NG_CHECK(ng_infer_qaxis(g, n, 0, 1, &q));
    NG_CHECK(check_zp(g, n, 1, 2));
    const ng_tensor *x = ng_in(g, n, 0), *s = ng_in(g, n, 1), *z = ng_infer_opt(g, n, 2);
    if (!is_8bit(x->dtype) && !is_4bit(x->dtype) && x->dtype != NNGPU_DTYPE_INT32)
        return ERR(NNGPU_ERR_UNSUPPORTED, "input '%s' is %s", x->name, nngpu_dtype_name(x->dtype));
    if (z && z->dtype != x->dtype)
        return ERR(NNGPU_ERR_INVALID_ARG, "zero point '%s' is %s, input '%s' is %s", z->name,
                   nngpu_dtype_name(z->dtype), x->name, nngpu_dtype_name(x->dtype));
    if (!is_float(s->dtype)) return ERR(NNGPU_ERR_INVALID_ARG, "scale '%s' is not float", s->name);
    ng_infer_set_out(g, n, 0, s->dtype, x->rank, x->dims);
    return NNGPU_OK;
}

/* An 8-bit operand at xi with its optional zero point at zi of the same dtype. */
static nngpu_status check_operand(const ng_graph *g, const ng_node *n, int xi, int zi) {
    const ng_tensor *x;
    NG_CHECK(ng_infer_need(g, n, xi, &x));
    if (!is_8bit(x->dtype))
        return ERR(NNGPU_ERR_UNSUPPORTED, "input '%s' is %s, not int8/uint8", x->name,
                   nngpu_dtype_name(x->dtype));
    const ng_tensor *z = ng_infer_opt(g, n, zi);
    if (z && z->dtype != x->dtype)
        return ERR(NNGPU_ERR_INVALID_ARG, "zero point '%s' is %s, input '%s' is %s", z->name,
                   nngpu_dtype_name(z->dtype), x->name, nngpu_dtype_name(x->dtype));
    return NNGPU_OK;
}

/* Scale / zero point at i: one value, or [channels] (per output channel). */
static nngpu_status check_per_channel(const ng_graph *g, const ng_node *n, int i, int64_t ch) {
    const ng_tensor *t = ng_infer_opt(g, n, i);
    if (!t) return NNGPU_OK;
    if (t->rank < 0 || !(ng_numel(t) == 1 || (t->rank == 1 && t->dims[0] == ch)))
        return ERR(NNGPU_ERR_INVALID_ARG, "'%s' must be a scalar or [%lld]", t->name, (long long)ch);
    return NNGPU_OK;
}

static nngpu_status check_scalar(const ng_graph *g, const ng_node *n, int i) {
    const ng_tensor *t = ng_infer_opt(g, n, i);
    if (t && (t->rank < 0 || ng_numel(t) != 1))
        return ERR(NNGPU_ERR_INVALID_ARG, "'%s' must be a scalar", t->name);
    return NNGPU_OK;
}

/* QLinearConv / QLinearMatMul: x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp[, B]. */
static nngpu_status infer_qlinear(ng_graph *g, ng_node *n) {
    int conv = n->op == NG_OP_QLINEARCONV, r;
    int64_t d[MAXD];
    NG_CHECK(check_operand(g, n, 0, 2));
    NG_CHECK(check_operand(g, n, 3, 5));
    const ng_tensor *t;
    NG_CHECK(ng_infer_need(g, n, 1, &t));
    NG_CHECK(ng_infer_need(g, n, 4, &t));
    if (conv) NG_CHECK(ng_infer_conv_shape(g, n, 3, 8, &r, d));
    else NG_CHECK(ng_infer_matmul_shape(g, n, 0, 3, &r, d));
    const ng_tensor *w = ng_in(g, n, 3), *b = ng_infer_opt(g, n, 8);
    int64_t ch = conv ? w->dims[0] : w->dims[w->rank - 1];
    NG_CHECK(check_scalar(g, n, 1));
    NG_CHECK(check_scalar(g, n, 2));
    NG_CHECK(check_per_channel(g, n, 4, ch));
    NG_CHECK(check_per_channel(g, n, 5, ch));
    NG_CHECK(check_scalar(g, n, 6));
    NG_CHECK(check_scalar(g, n, 7));
    if (b && b->dtype != NNGPU_DTYPE_INT32) return ERR(NNGPU_ERR_INVALID_ARG, "bias '%s' is not int32", b->name);
    const ng_tensor *ys = ng_infer_opt(g, n, 6), *yz = ng_infer_opt(g, n, 7);
    nngpu_dtype yt = !ys ? NNGPU_DTYPE_FLOAT32 : yz ? yz->dtype : NNGPU_DTYPE_UINT8;
    if (ys && !is_8bit(yt)) return ERR(NNGPU_ERR_UNSUPPORTED, "output type %s", nngpu_dtype_name(yt));
    ng_infer_set_out(g, n, 0, yt, r, d);
    return NNGPU_OK;
}

/* ConvInteger / MatMulInteger: x, w, x_zp, w_zp -> int32. */
static nngpu_status infer_integer(ng_graph *g, ng_node *n) {
    int conv = n->op == NG_OP_CONVINTEGER, r;
    int64_t d[MAXD];
    NG_CHECK(check_operand(g, n, 0, 2));
    NG_CHECK(check_operand(g, n, 1, 3));
    if (conv) NG_CHECK(ng_infer_conv_shape(g, n, 1, -1, &r, d));
    else NG_CHECK(ng_infer_matmul_shape(g, n, 0, 1, &r, d));
    const ng_tensor *w = ng_in(g, n, 1);
    if (conv) {
        NG_CHECK(check_scalar(g, n, 2));
        NG_CHECK(check_per_channel(g, n, 3, w->dims[0]));
    } else { /* a's zero point may be per row of A ([M]), b's per column ([N]) */
        const ng_tensor *a = ng_in(g, n, 0);
        NG_CHECK(check_per_channel(g, n, 2, a->rank >= 2 ? a->dims[a->rank - 2] : 1));
        NG_CHECK(check_per_channel(g, n, 3, w->dims[w->rank - 1]));
    }
    ng_infer_set_out(g, n, 0, NNGPU_DTYPE_INT32, r, d);
    return NNGPU_OK;
}

/* MatMulQuantW: X [.., M, K] float, W [K, N] 4/8-bit, scales [G, N] or [N], zps like scales. */
static nngpu_status infer_matmul_quant_w(ng_graph *g, ng_node *n) {
    const ng_tensor *x, *w, *s, *z = ng_infer_opt(g, n, 3);
    NG_CHECK(ng_infer_need(g, n, 0, &x));
    NG_CHECK(ng_infer_need(g, n, 1, &w));
    NG_CHECK(ng_infer_need(g, n, 2, &s));
    if (!is_float(x->dtype)) return ERR(NNGPU_ERR_UNSUPPORTED, "input '%s' is %s", x->name, nngpu_dtype_name(x->dtype));
    if (w->rank != 2 || (!is_8bit(w->dtype) && !is_4bit(w->dtype)))
        return ERR(NNGPU_ERR_INVALID_ARG, "weight '%s' must be 2-D int4/uint4/int8/uint8", w->name);
    int64_t K = w->dims[0], N = w->dims[1], bs = ng_attr_int(n, "block_size", 0);
    if (bs < 0) return ERR(NNGPU_ERR_INVALID_ARG, "block_size %lld is negative", (long long)bs);
    int64_t groups = bs ? (K + bs - 1) / bs : 1;
    int ok = bs ? s->rank == 2 && s->dims[0] == groups && s->dims[1] == N
                : (s->rank == 1 && s->dims[0] == N) || (s->rank == 2 && s->dims[0] == 1 && s->dims[1] == N);
    if (!ok || !is_float(s->dtype))
        return ERR(NNGPU_ERR_INVALID_ARG, "scales '%s' must be float [%lld, %lld]", s->name,
                   (long long)groups, (long long)N);
    if (z && (z->dtype != w->dtype || !same_shape(z, s)))
        return ERR(NNGPU_ERR_INVALID_ARG, "zero points '%s' must be %s shaped like '%s'", z->name,
                   nngpu_dtype_name(w->dtype), s->name);
    int r;
    int64_t d[MAXD];
    NG_CHECK(ng_infer_matmul_shape(g, n, 0, 1, &r, d));
    ng_infer_set_out(g, n, 0, x->dtype, r, d);
    return NNGPU_OK;
}

int ng_infer_quant(ng_graph *g, ng_node *n, nngpu_status *st) {
    switch (n->op) {
    case NG_OP_QUANTIZELINEAR: *st = infer_quantize(g, n); return 1;
    case NG_OP_DEQUANTIZELINEAR: *st = infer_dequantize(g, n); return 1;
    case NG_OP_DYNAMICQUANTIZELINEAR: *st = infer_dynamic_quantize(g, n); return 1;
    case NG_OP_QLINEARCONV:
    case NG_OP_QLINEARMATMUL: *st = infer_qlinear(g, n); return 1;
    case NG_OP_CONVINTEGER:
    case NG_OP_MATMULINTEGER: *st = infer_integer(g, n); return 1;
    case NG_OP_MATMULQW: *st = infer_matmul_quant_w(g, n); return 1;
    default: return 0;
    }
}
