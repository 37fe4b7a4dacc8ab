/* Elementwise ops: unary, binary (broadcast), Max/Min/Sum/Mean (variadic),
 * Where, Not, Mod. */
#include <math.h>
#include <string.h>

#include "ref_internal.h"
#include "ref_math.h"

/* Unary ops whose integer form is exact. */
static int int_unary(ng_op op) {
    return op == NG_OP_NEG || op == NG_OP_ABS || op == NG_OP_RELU || op == NG_OP_CLIP ||
           op == NG_OP_FLOOR || op == NG_OP_CEIL || op == NG_OP_SIGN || op == NG_OP_ROUND;
}

nngpu_status ng_ref_unary_op(const ng_graph *g, const ng_node *n, const void *const *in,
                             void *const *out) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    float alpha, beta;
    ng_ref_unary_attrs(n, &alpha, &beta);
    int64_t imin = INT64_MIN, imax = INT64_MAX;
    if (n->op == NG_OP_CLIP) {
        if (n->opset < 11) {
            alpha = ng_attr_float(n, "min", alpha);
            beta = ng_attr_float(n, "max", beta);
        } else {
            const ng_tensor *tmin = ng_in(g, n, 1), *tmax = ng_in(g, n, 2);
            if (tmin && n->n_main_inputs > 1 && in[1]) {
                alpha = ng_ref_ldf(tmin->dtype, in[1], 0);
                imin = ng_ref_ldi(tmin->dtype, in[1], 0);
            }
            if (tmax && n->n_main_inputs > 2 && in[2]) {
                beta = ng_ref_ldf(tmax->dtype, in[2], 0);
                imax = ng_ref_ldi(tmax->dtype, in[2], 0);
            }
        }
    }
    int64_t cnt = ng_numel(y);
    if (ng_ref_is_int(x->dtype)) {
        if (!int_unary(n->op))
            return ng_ref_err(n, NNGPU_ERR_UNSUPPORTED, "dtype %s", nngpu_dtype_name(x->dtype));
        for (int64_t i = 0; i < cnt; i++) {
            int64_t v = ng_ref_ldi(x->dtype, in[0], i);
            switch (n->op) {
            case NG_OP_NEG: v = (int64_t)(0 - (uint64_t)v); break;
            case NG_OP_ABS: v = v < 0 ? (int64_t)(0 - (uint64_t)v) : v; break;
            case NG_OP_RELU: v = v < 0 ? 0 : v; break;
            case NG_OP_SIGN: v = v > 0 ? 1 : v < 0 ? -1 : 0; break;
            case NG_OP_CLIP: v = v < imin ? imin : v, v = v > imax ? imax : v; break;
            default: break;
            }
            ng_ref_sti(y->dtype, out[0], i, v);
        }
        return NNGPU_OK;
    }
    for (int64_t i = 0; i < cnt; i++)
        ng_ref_stf(y->dtype, out[0], i, ng_ref_unary(n->op, ng_ref_ldf(x->dtype, in[0], i), alpha, beta));
    return NNGPU_OK;
}

static int is_compare(ng_op op) {
    return op == NG_OP_EQUAL || op == NG_OP_LESS || op == NG_OP_GREATER ||
           op == NG_OP_LESSOREQUAL || op == NG_OP_GREATEROREQUAL || op == NG_OP_AND ||
           op == NG_OP_OR || op == NG_OP_XOR;
}

static int compare(ng_op op, double a, double b) {
    switch (op) {
    case NG_OP_EQUAL: return a == b;
    case NG_OP_LESS: return a < b;
    case NG_OP_GREATER: return a > b;
    case NG_OP_LESSOREQUAL: return a <= b;
    case NG_OP_GREATEROREQUAL: return a >= b;
    case NG_OP_AND: return a != 0 && b != 0;
    case NG_OP_OR: return a != 0 || b != 0;
    default: return (a != 0) != (b != 0); /* Xor */
    }
}

static int compare_int(ng_op op, int64_t a, int64_t b) {
    switch (op) {
    case NG_OP_EQUAL: return a == b;
    case NG_OP_LESS: return a < b;
    case NG_OP_GREATER: return a > b;
    case NG_OP_LESSOREQUAL: return a <= b;
    case NG_OP_GREATEROREQUAL: return a >= b;
    case NG_OP_AND: return a != 0 && b != 0;
    case NG_OP_OR: return a != 0 || b != 0;
    default: return (a != 0) != (b != 0); /* Xor */
    }
}

/* Double-precision form of ng_ref_binary for float64 tensors. */
static double binary_d(ng_op op, double a, double b) {
    switch (op) {
    case NG_OP_ADD: return a + b;
    case NG_OP_SUB: return a - b;
    case NG_OP_MUL: return a * b;
    case NG_OP_DIV: return a / b;
    case NG_OP_POW: return pow(a, b);
    case NG_OP_PRELU: return a < 0 ? a * b : a;
    case NG_OP_MAX: return a != a || b != b ? NAN : a > b ? a : b;
    case NG_OP_MIN: return a != a || b != b ? NAN : a < b ? a : b;
    default: return NAN;
    }
}

/* y = op(a, b) over inputs ta/tb broadcast to ty. */
static void binary(ng_op op, const ng_tensor *ta, const void *a, const ng_tensor *tb,
                   const void *b, const ng_tensor *ty, void *y) {
    int64_t sa[NNGPU_MAX_DIMS], sb[NNGPU_MAX_DIMS];
    ng_ref_bcast_strides(ty->rank, ty->dims, ta->rank, ta->dims, sa);
    ng_ref_bcast_strides(ty->rank, ty->dims, tb->rank, tb->dims, sb);
    int64_t cnt = ng_numel(ty);
    int cmp = is_compare(op);
    int ints = ng_ref_is_int(ta->dtype) && ng_ref_is_int(tb->dtype);
    int f64 = ta->dtype == NNGPU_DTYPE_FLOAT64;
    for (int64_t i = 0; i < cnt; i++) {
        int64_t ia = ng_ref_bcast_offset(ty->rank, ty->dims, sa, i);
        int64_t ib = ng_ref_bcast_offset(ty->rank, ty->dims, sb, i);
        if (ints) {
            int64_t va = ng_ref_ldi(ta->dtype, a, ia), vb = ng_ref_ldi(tb->dtype, b, ib);
            ng_ref_sti(ty->dtype, y, i, cmp ? compare_int(op, va, vb) : ng_ref_binary_int(op, va, vb));
        } else if (cmp) {
            ng_ref_sti(ty->dtype, y, i, compare(op, ng_ref_ldd(ta->dtype, a, ia), ng_ref_ldd(tb->dtype, b, ib)));
        } else if (f64) {
            ng_ref_std(ty->dtype, y, i, binary_d(op, ng_ref_ldd(ta->dtype, a, ia), ng_ref_ldd(tb->dtype, b, ib)));
        } else if (ng_ref_is_int(ty->dtype)) { /* Pow(int, float) */
            ng_ref_std(ty->dtype, y, i, binary_d(op, ng_ref_ldd(ta->dtype, a, ia), ng_ref_ldd(tb->dtype, b, ib)));
        } else {
            ng_ref_stf(ty->dtype, y, i, ng_ref_binary(op, ng_ref_ldf(ta->dtype, a, ia), ng_ref_ldf(tb->dtype, b, ib)));
        }
    }
}

nngpu_status ng_ref_binary_op(const ng_graph *g, const ng_node *n, const void *const *in,
                              void *const *out) {
    binary(n->op, ng_in(g, n, 0), in[0], ng_in(g, n, 1), in[1], ng_out(g, n, 0), out[0]);
    return NNGPU_OK;
}

nngpu_status ng_ref_variadic(const ng_graph *g, const ng_node *n, const void *const *in,
                             void *const *out) {
    const ng_tensor *y = ng_out(g, n, 0);
    int64_t cnt = ng_numel(y);
    int64_t s[NNGPU_MAX_DIMS];
    const ng_tensor *x0 = ng_in(g, n, 0);
    ng_ref_bcast_strides(y->rank, y->dims, x0->rank, x0->dims, s);
    size_t es = nngpu_dtype_size(y->dtype);
    for (int64_t i = 0; i < cnt; i++)
        memcpy((char *)out[0] + (size_t)i * es,
               (const char *)in[0] + (size_t)ng_ref_bcast_offset(y->rank, y->dims, s, i) * es, es);
    ng_op op = n->op == NG_OP_SUM || n->op == NG_OP_MEAN ? NG_OP_ADD : n->op;
    for (int k = 1; k < n->n_main_inputs; k++)
        binary(op, y, out[0], ng_in(g, n, k), in[k], y, out[0]);
    if (n->op == NG_OP_MEAN && n->n_main_inputs > 1) {
        double c = n->n_main_inputs;
        for (int64_t i = 0; i < cnt; i++)
            if (ng_ref_is_int(y->dtype)) ng_ref_sti(y->dtype, out[0], i, ng_ref_ldi(y->dtype, out[0], i) / (int64_t)c);
            else ng_ref_std(y->dtype, out[0], i, ng_ref_ldd(y->dtype, out[0], i) / c);
    }
    return NNGPU_OK;
}

nngpu_status ng_ref_not(const ng_graph *g, const ng_node *n, const void *const *in,
                        void *const *out) {
    int64_t cnt = ng_numel(ng_out(g, n, 0));
    for (int64_t i = 0; i < cnt; i++) ((uint8_t *)out[0])[i] = !((const uint8_t *)in[0])[i];
    return NNGPU_OK;
}

nngpu_status ng_ref_where(const ng_graph *g, const ng_node *n, const void *const *in,
                          void *const *out) {
    const ng_tensor *y = ng_out(g, n, 0);
    int64_t s[3][NNGPU_MAX_DIMS];
    for (int k = 0; k < 3; k++) {
        const ng_tensor *t = ng_in(g, n, k);
        ng_ref_bcast_strides(y->rank, y->dims, t->rank, t->dims, s[k]);
    }
    size_t es = nngpu_dtype_size(y->dtype);
    int64_t cnt = ng_numel(y);
    for (int64_t i = 0; i < cnt; i++) {
        int c = ((const uint8_t *)in[0])[ng_ref_bcast_offset(y->rank, y->dims, s[0], i)] != 0;
        int k = c ? 1 : 2;
        memcpy((char *)out[0] + (size_t)i * es,
               (const char *)in[k] + (size_t)ng_ref_bcast_offset(y->rank, y->dims, s[k], i) * es, es);
    }
    return NNGPU_OK;
}

/* Mod: fmod=0 takes the divisor's sign (Python's %), fmod=1 the dividend's (C's fmod). */
nngpu_status ng_ref_mod(const ng_graph *g, const ng_node *n, const void *const *in,
                        void *const *out) {
    const ng_tensor *ta = ng_in(g, n, 0), *tb = ng_in(g, n, 1), *ty = ng_out(g, n, 0);
    int fm = (int)ng_attr_int(n, "fmod", 0), ints = ng_ref_is_int(ty->dtype);
    int64_t sa[NNGPU_MAX_DIMS], sb[NNGPU_MAX_DIMS], cnt = ng_numel(ty);
    ng_ref_bcast_strides(ty->rank, ty->dims, ta->rank, ta->dims, sa);
    ng_ref_bcast_strides(ty->rank, ty->dims, tb->rank, tb->dims, sb);
    for (int64_t i = 0; i < cnt; i++) {
        int64_t ia = ng_ref_bcast_offset(ty->rank, ty->dims, sa, i);
        int64_t ib = ng_ref_bcast_offset(ty->rank, ty->dims, sb, i);
        if (!ints) {
            double b = ng_ref_ldd(tb->dtype, in[1], ib), r = fmod(ng_ref_ldd(ta->dtype, in[0], ia), b);
            if (!fm && r != 0 && (r < 0) != (b < 0)) r += b;
            if (!fm && r == 0) r = copysign(0.0, b); /* Python's mod: the divisor's sign */
            ng_ref_std(ty->dtype, out[0], i, r);
            continue;
        }
        int64_t a = ng_ref_ldi(ta->dtype, in[0], ia), b = ng_ref_ldi(tb->dtype, in[1], ib);
        int64_t r = b == 0 || b == -1 ? 0 : a % b;
        if (!fm && r != 0 && (r < 0) != (b < 0)) r += b;
        ng_ref_sti(ty->dtype, out[0], i, r);
    }
    return NNGPU_OK;
}
