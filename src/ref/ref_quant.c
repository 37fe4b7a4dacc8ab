/* QuantizeLinear, DequantizeLinear (per tensor, per axis, blocked; 8- and
 * 4-bit) and the internal MatMulQuantW, with ONNX Runtime's float arithmetic:
 * y = saturate(rint(x / scale) + zp) (NaN: the lowest value, core/quant.h),
 * x = (q - zp) * scale. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/quant.h"
#include "ref_internal.h"

/* The range of an integer dtype the quantizers saturate to. */
static void int_range(nngpu_dtype t, int64_t *lo, int64_t *hi) {
    switch (t) {
    case NNGPU_DTYPE_INT8: *lo = -128; *hi = 127; break;
    case NNGPU_DTYPE_UINT8: *lo = 0; *hi = 255; break;
    case NNGPU_DTYPE_INT4: *lo = -8; *hi = 7; break;
    case NNGPU_DTYPE_UINT4: *lo = 0; *hi = 15; break;
    default: *lo = INT32_MIN; *hi = INT32_MAX; break;
    }
}

/* Index of the scale of element idx (see ng_qaxis). */
static int64_t scale_index(const ng_qaxis *q, int64_t idx) {
    int64_t i = idx % q->inner, a = (idx / q->inner) % q->axis_len;
    if (!q->blocked) return a / q->block;
    int64_t o = idx / (q->inner * q->axis_len);
    return (o * q->n_blocks + a / q->block) * q->inner + i;
}

nngpu_status ng_ref_quantize(const ng_graph *g, const ng_node *n, const void *const *in,
                             void *const *out) {
    ng_qaxis q;
    NG_CHECK(ng_infer_qaxis(g, n, 0, 1, &q));
    const ng_tensor *x = ng_in(g, n, 0), *s = ng_in(g, n, 1), *y = ng_out(g, n, 0);
    const ng_tensor *z = n->n_main_inputs > 2 ? ng_in(g, n, 2) : NULL;
    int64_t lo, hi, cnt = ng_numel(x);
    int_range(y->dtype, &lo, &hi);
    if (ng_ref_is_4bit(y->dtype)) memset(out[0], 0, ng_nbytes(y));
    for (int64_t i = 0; i < cnt; i++) {
        int64_t si = scale_index(&q, i);
        int64_t zp = z ? ng_ref_ldi(z->dtype, in[2], si) : 0;
        ng_ref_sti(y->dtype, out[0], i,
                   ng_quantize_value(ng_ref_ldf(x->dtype, in[0], i), ng_ref_ldf(s->dtype, in[1], si),
                                     zp, lo, hi));
    }
    return NNGPU_OK;
}

/* DynamicQuantizeLinear as onnxruntime computes it, in float: the range of x
 * widened to hold 0, scale (max - min) / 255 (1 when the range is empty),
 * zero point round_half_even(clamp(-min / scale, 0, 255)). */
nngpu_status ng_ref_dynamic_quantize(const ng_graph *g, const ng_node *n, const void *const *in,
                                     void *const *out) {
    const float *x = in[0];
    int64_t cnt = ng_numel(ng_in(g, n, 0));
    float lo = 0.0f, hi = 0.0f;
    for (int64_t i = 0; i < cnt; i++) {
        lo = fminf(lo, x[i]); /* fminf/fmaxf skip NaN, as MlasFindMinMaxElement's compares do */
        hi = fmaxf(hi, x[i]);
    }
    float scale = hi == lo ? 1.0f : (hi - lo) / 255.0f;
    float zp = nearbyintf(fmaxf(0.0f, fminf(255.0f, 0.0f - lo / scale)));
    uint8_t *y = out[0];
    for (int64_t i = 0; i < cnt; i++) y[i] = (uint8_t)ng_quantize_value(x[i], scale, (int64_t)zp, 0, 255);
    *(float *)out[1] = scale;
    *(uint8_t *)out[2] = (uint8_t)zp;
    return NNGPU_OK;
}

nngpu_status ng_ref_dequantize(const ng_graph *g, const ng_node *n, const void *const *in,
                               void *const *out) {
    ng_qaxis q;
    NG_CHECK(ng_infer_qaxis(g, n, 0, 1, &q));
    const ng_tensor *x = ng_in(g, n, 0), *s = ng_in(g, n, 1), *y = ng_out(g, n, 0);
    const ng_tensor *z = n->n_main_inputs > 2 ? ng_in(g, n, 2) : NULL;
    int64_t cnt = ng_numel(x);
    for (int64_t i = 0; i < cnt; i++) {
        int64_t si = scale_index(&q, i);
        int64_t d = ng_ref_ldi(x->dtype, in[0], i) - (z ? ng_ref_ldi(z->dtype, in[2], si) : 0);
        ng_ref_stf(y->dtype, out[0], i, (float)d * ng_ref_ldf(s->dtype, in[1], si));
    }
    return NNGPU_OK;
}

/* Y[.., M, N] = X[.., M, K] . W with W(k, c) = (q(k, c) - zp[k / block][c]) * scale[k / block][c]. */
nngpu_status ng_ref_matmul_quant_w(const ng_graph *g, const ng_node *n, const void *const *in,
                                   void *const *out) {
    const ng_tensor *x = ng_in(g, n, 0), *w = ng_in(g, n, 1), *s = ng_in(g, n, 2), *y = ng_out(g, n, 0);
    const ng_tensor *z = n->n_main_inputs > 3 ? ng_in(g, n, 3) : NULL;
    int64_t K = w->dims[0], N = w->dims[1], bs = ng_attr_int(n, "block_size", 0);
    if (bs <= 0) bs = K > 0 ? K : 1;
    float *deq = malloc(sizeof(float) * (size_t)(K * N > 0 ? K * N : 1));
    if (!deq) return ng_ref_err(n, NNGPU_ERR_OUT_OF_MEMORY, "dequantized weight");
    for (int64_t k = 0; k < K; k++)
        for (int64_t c = 0; c < N; c++) {
            int64_t si = (k / bs) * N + c;
            int64_t d = ng_ref_ldi(w->dtype, in[1], k * N + c) - (z ? ng_ref_ldi(z->dtype, in[3], si) : 0);
            deq[k * N + c] = (float)d * ng_ref_ldf(s->dtype, in[2], si);
        }
    int64_t rows = x->rank >= 2 ? ng_numel(x) / K : 1; /* every batch's M rows, one after another */
    if (K == 0) rows = ng_numel(y) / (N ? N : 1);
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < N; c++) {
            double acc = 0;
            for (int64_t k = 0; k < K; k++) acc += (double)ng_ref_ldf(x->dtype, in[0], r * K + k) * deq[k * N + c];
            ng_ref_std(y->dtype, out[0], r * N + c, acc);
        }
    free(deq);
    return NNGPU_OK;
}
