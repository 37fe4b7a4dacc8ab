/* QLinearConv, QLinearMatMul, ConvInteger, MatMulInteger: the exact integer
 * accumulation acc = sum (x - x_zp) * (w - w_zp[c]), then (src/runtime/
 * lower_quant.h) real = x_scale * w_scale[c] * (acc + bias[c]), the node's
 * epilogue on real, y = saturate(rint(real / y_scale) + y_zp) (NaN: the
 * lowest value, core/quant.h); float32 real
 * when y_scale is omitted, acc itself for the *Integer ops. */
#include <math.h>
#include <stdlib.h>

#include "core/quant.h"
#include "ref_internal.h"

/* Where a node keeps its operands. */
typedef struct qio {
    int x, x_zp, w, w_zp;
} qio;

static qio io_of(const ng_node *n) {
    int ql = n->op == NG_OP_QLINEARCONV || n->op == NG_OP_QLINEARMATMUL;
    return ql ? (qio){0, 2, 3, 5} : (qio){0, 2, 1, 3};
}

/* Element i of optional input k (an integer zero point), 0 when omitted; a
 * single value serves every index. */
static int64_t zp_at(const ng_graph *g, const ng_node *n, const void *const *in, int k, int64_t i) {
    const ng_tensor *t = k < n->n_main_inputs ? ng_in(g, n, k) : NULL;
    if (!t || !in[k]) return 0;
    return ng_ref_ldi(t->dtype, in[k], ng_numel(t) == 1 ? 0 : i);
}

/* acc[N, K, out...] of the integer convolution. */
static nngpu_status conv_acc(const ng_graph *g, const ng_node *n, const void *const *in, int32_t *acc) {
    ng_window w;
    NG_CHECK(ng_ref_window3(g, n, &w));
    qio q = io_of(n);
    const ng_tensor *x = ng_in(g, n, q.x), *wt = ng_in(g, n, q.w);
    int64_t N = x->dims[0], C = x->dims[1], M = wt->dims[0];
    int64_t G = ng_attr_int(n, "group", 1), Cg = C / G, Mg = M / G;
    int64_t isz = w.in[0] * w.in[1] * w.in[2], osz = w.out[0] * w.out[1] * w.out[2];
    int64_t ksz = w.k[0] * w.k[1] * w.k[2], xz = zp_at(g, n, in, q.x_zp, 0);
    for (int64_t bn = 0; bn < N; bn++)
        for (int64_t m = 0; m < M; m++) {
            int64_t grp = m / Mg, wz = zp_at(g, n, in, q.w_zp, m);
            for (int64_t o0 = 0; o0 < w.out[0]; o0++)
                for (int64_t o1 = 0; o1 < w.out[1]; o1++)
                    for (int64_t o2 = 0; o2 < w.out[2]; o2++) {
                        int64_t s = 0;
                        for (int64_t c = 0; c < Cg; c++) {
                            int64_t xoff = (bn * C + grp * Cg + c) * isz, woff = (m * Cg + c) * ksz;
                            for (int64_t k0 = 0; k0 < w.k[0]; k0++) {
                                int64_t i0 = o0 * w.s[0] - w.pb[0] + k0 * w.d[0];
                                if (i0 < 0 || i0 >= w.in[0]) continue;
                                for (int64_t k1 = 0; k1 < w.k[1]; k1++) {
                                    int64_t i1 = o1 * w.s[1] - w.pb[1] + k1 * w.d[1];
                                    if (i1 < 0 || i1 >= w.in[1]) continue;
                                    for (int64_t k2 = 0; k2 < w.k[2]; k2++) {
                                        int64_t i2 = o2 * w.s[2] - w.pb[2] + k2 * w.d[2];
                                        if (i2 < 0 || i2 >= w.in[2]) continue;
                                        int64_t xv = ng_ref_ldi(x->dtype, in[q.x], xoff + (i0 * w.in[1] + i1) * w.in[2] + i2);
                                        int64_t wv = ng_ref_ldi(wt->dtype, in[q.w], woff + (k0 * w.k[1] + k1) * w.k[2] + k2);
                                        s += (xv - xz) * (wv - wz);
                                    }
                                }
                            }
                        }
                        acc[(bn * M + m) * osz + (o0 * w.out[1] + o1) * w.out[2] + o2] = (int32_t)s;
                    }
        }
    return NNGPU_OK;
}

/* acc[batch.., M, N] of the integer matmul (NumPy batch broadcasting; a's
 * zero point per tensor or per row, b's per tensor or per column). */
static void matmul_acc(const ng_graph *g, const ng_node *n, const void *const *in, int32_t *acc) {
    qio q = io_of(n);
    const ng_tensor *a = ng_in(g, n, q.x), *b = ng_in(g, n, q.w), *y = ng_out(g, n, 0);
    int64_t M = a->rank >= 2 ? a->dims[a->rank - 2] : 1, K = a->dims[a->rank - 1];
    int64_t N = b->rank >= 2 ? b->dims[b->rank - 1] : 1;
    int ra = a->rank > 2 ? a->rank - 2 : 0, rb = b->rank > 2 ? b->rank - 2 : 0;
    int br = ra > rb ? ra : rb;
    int64_t sa[NNGPU_MAX_DIMS], sb[NNGPU_MAX_DIMS], batch = 1;
    for (int i = 0; i < br; i++) batch *= y->dims[i];
    ng_ref_bcast_strides(br, y->dims, ra, a->dims, sa);
    ng_ref_bcast_strides(br, y->dims, rb, b->dims, sb);
    for (int64_t bi = 0; bi < batch; bi++) {
        int64_t ao = ng_ref_bcast_offset(br, y->dims, sa, bi) * M * K;
        int64_t bo = ng_ref_bcast_offset(br, y->dims, sb, bi) * K * N;
        for (int64_t m = 0; m < M; m++) {
            int64_t az = zp_at(g, n, in, q.x_zp, m);
            for (int64_t c = 0; c < N; c++) {
                int64_t bz = zp_at(g, n, in, q.w_zp, c), s = 0;
                for (int64_t k = 0; k < K; k++)
                    s += (ng_ref_ldi(a->dtype, in[q.x], ao + m * K + k) - az) *
                         (ng_ref_ldi(b->dtype, in[q.w], bo + k * N + c) - bz);
                acc[(bi * M + m) * N + c] = (int32_t)s;
            }
        }
    }
}

/* QLinear*: acc -> real (scales, bias) -> epilogue -> y. chan_div / chan_mod
 * give each element's output channel: (i / chan_div) % chan_mod. */
static nngpu_status requantize(const ng_graph *g, const ng_node *n, const void *const *in,
                               const int32_t *acc, int64_t chan_div, int64_t chan_mod, void *y_out) {
    const ng_tensor *y = ng_out(g, n, 0), *xs = ng_in(g, n, 1), *ws = ng_in(g, n, 4);
    const ng_tensor *ys = ng_in(g, n, 6), *yz = n->n_main_inputs > 7 ? ng_in(g, n, 7) : NULL;
    const ng_tensor *b = n->n_main_inputs > 8 ? ng_in(g, n, 8) : NULL;
    int64_t cnt = ng_numel(y);
    float *real = malloc(sizeof(float) * (size_t)(cnt ? cnt : 1));
    if (!real) return ng_ref_err(n, NNGPU_ERR_OUT_OF_MEMORY, "requantization buffer");
    float x_scale = ng_ref_ldf(xs->dtype, in[1], 0);
    int per_ch = ng_numel(ws) > 1;
    for (int64_t i = 0; i < cnt; i++) {
        int64_t c = (i / chan_div) % chan_mod;
        float mult = x_scale * ng_ref_ldf(ws->dtype, in[4], per_ch ? c : 0);
        int64_t bias = b ? ng_ref_ldi(b->dtype, in[8], c) : 0;
        real[i] = mult * (float)((int64_t)acc[i] + bias);
    }
    ng_ref_apply_epilogue(g, n, real, in);
    if (!ys) {
        for (int64_t i = 0; i < cnt; i++) ng_ref_stf(y->dtype, y_out, i, real[i]);
    } else {
        float y_scale = ng_ref_ldf(ys->dtype, in[6], 0);
        int64_t zp = yz ? ng_ref_ldi(yz->dtype, in[7], 0) : 0;
        int64_t lo = y->dtype == NNGPU_DTYPE_INT8 ? -128 : 0, hi = y->dtype == NNGPU_DTYPE_INT8 ? 127 : 255;
        for (int64_t i = 0; i < cnt; i++)
            ng_ref_sti(y->dtype, y_out, i, ng_quantize_value(real[i], y_scale, zp, lo, hi));
    }
    free(real);
    return NNGPU_OK;
}

nngpu_status ng_ref_qconv(const ng_graph *g, const ng_node *n, const void *const *in,
                          void *const *out) {
    const ng_tensor *y = ng_out(g, n, 0);
    int64_t cnt = ng_numel(y), osz = 1;
    for (int i = 2; i < y->rank; i++) osz *= y->dims[i];
    int direct = n->op == NG_OP_CONVINTEGER;
    int32_t *acc = direct ? out[0] : malloc(sizeof(int32_t) * (size_t)(cnt ? cnt : 1));
    if (!acc) return ng_ref_err(n, NNGPU_ERR_OUT_OF_MEMORY, "accumulator");
    nngpu_status st = conv_acc(g, n, in, acc);
    if (st == NNGPU_OK && !direct) st = requantize(g, n, in, acc, osz ? osz : 1, y->dims[1] ? y->dims[1] : 1, out[0]);
    if (!direct) free(acc);
    return st;
}

nngpu_status ng_ref_qmatmul(const ng_graph *g, const ng_node *n, const void *const *in,
                            void *const *out) {
    const ng_tensor *y = ng_out(g, n, 0), *b = ng_in(g, n, io_of(n).w);
    int64_t cnt = ng_numel(y), N = b->rank >= 2 ? b->dims[b->rank - 1] : 1;
    int direct = n->op == NG_OP_MATMULINTEGER;
    int32_t *acc = direct ? out[0] : malloc(sizeof(int32_t) * (size_t)(cnt ? cnt : 1));
    if (!acc) return ng_ref_err(n, NNGPU_ERR_OUT_OF_MEMORY, "accumulator");
    matmul_acc(g, n, in, acc);
    nngpu_status st = direct ? NNGPU_OK : requantize(g, n, in, acc, 1, N ? N : 1, out[0]);
    if (!direct) free(acc);
    return st;
}
