/* onnxruntime's com.microsoft MatMulNBits (its int4 / int8 weight-only
 * quantizer, onnxruntime-genai models):
 *   Y = A . dequant(B)^T (+ bias), attributes K, N, bits, block_size;
 *   B uint8 [N, k_blocks, block_size * bits / 8]: the values of each column
 *   along K, two per byte low nibble first at 4 bits; scales [N * k_blocks];
 *   zero points packed the same way along the blocks (default 2^(bits - 1)).
 * Rewritten at import into
 *   DequantizeLinear(W [N, K] uint4 / uint8, scales [N, k_blocks], zero points;
 *                    axis 1, block_size) -> Transpose -> MatMul (-> Add bias),
 * which fold_dq_matmul turns into one MatMulQuantW that dequantizes inside the
 * kernel. B, scales and zero points must be constants; float32 A only; no
 * g_idx (act-order). Spec: onnxruntime docs/ContribOperators.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "graph/qdq.h"
#include "nngpu/graph.h"
#include "onnx_internal.h"

int ng_onnx_is_contrib_nbits_op(const char *op_type) { return !strcmp(op_type, "MatMulNBits"); }

static nngpu_status fail(ng_onnx_rewrite *r, nngpu_status code, const char *what) {
    return ng_error(code, "node '%s' (MatMulNBits): %s", r->name, what);
}

/* Input i as a constant of dtype dt and cnt elements, else NULL. */
static const ng_tensor *constant(ng_onnx_rewrite *r, size_t i, nngpu_dtype dt, int64_t cnt) {
    const char *name = ng_rw_input(r, i);
    int t = name ? ng_tensor_find(r->g, name) : -1;
    const ng_tensor *x = t >= 0 ? &r->g->tensors[t] : NULL;
    return x && x->data && x->dtype == dt && ng_numel(x) == cnt ? x : NULL;
}

/* Value i of a packed bits-wide unsigned array (4: low nibble first). */
static int packed_at(const uint8_t *p, int bits, int64_t i) {
    return bits == 8 ? p[i] : (p[i >> 1] >> (4 * (int)(i & 1))) & 15;
}

/* The weight [N, K], scales and zero points [N, kb] as new constants. */
static nngpu_status weights(ng_onnx_rewrite *r, int64_t K, int64_t N, int bits, int64_t bs,
                            char (*names)[600]) {
    const int64_t kb = (K + bs - 1) / bs, blob = bs * bits / 8, zp_row = (kb * bits + 7) / 8;
    const ng_tensor *b = constant(r, 1, NNGPU_DTYPE_UINT8, N * kb * blob);
    const ng_tensor *s = constant(r, 2, NNGPU_DTYPE_FLOAT32, N * kb);
    if (!b || !s)
        return fail(r, NNGPU_ERR_UNSUPPORTED, "B must be a constant uint8 [N, k_blocks, blob] and "
                                              "scales a constant float32 [N * k_blocks]");
    const ng_tensor *z = NULL;
    if (ng_rw_input(r, 3) && !(z = constant(r, 3, NNGPU_DTYPE_UINT8, N * zp_row)))
        return fail(r, NNGPU_ERR_UNSUPPORTED, "zero_points must be a constant packed uint8 "
                                              "[N * ceil(k_blocks * bits / 8)]");
    nngpu_dtype wdt = bits == 4 ? NNGPU_DTYPE_UINT4 : NNGPU_DTYPE_UINT8;
    uint8_t *w = calloc((size_t)(bits == 4 ? (N * K + 1) / 2 : N * K), 1);
    uint8_t *zp = calloc((size_t)(N * kb), 1); /* packed 4-bit needs half */
    if (!w || !zp) {
        free(w);
        free(zp);
        return fail(r, NNGPU_ERR_OUT_OF_MEMORY, "unpacking the weight");
    }
    const uint8_t *bp = b->data, *zpp = z ? z->data : NULL;
    for (int64_t n = 0; n < N; n++) {
        for (int64_t k = 0; k < K; k++) /* a column's padding past K is left out */
            ng_qconst_set(wdt, w, n * K + k, packed_at(bp, bits, n * kb * bs + k));
        for (int64_t j = 0; j < kb; j++)
            ng_qconst_set(wdt, zp, n * kb + j, zpp ? packed_at(zpp + n * zp_row, bits, j) : 1 << (bits - 1));
    }
    const int64_t wd[2] = {N, K}, sd[2] = {N, kb};
    nngpu_status st = nngpu_graph_add_constant(r->g, ng_rw_tmp(r, "weight", names[0], 600), wdt, 2, wd, w);
    if (st == NNGPU_OK)
        st = nngpu_graph_add_constant(r->g, ng_rw_tmp(r, "scale", names[1], 600), NNGPU_DTYPE_FLOAT32,
                                      2, sd, s->data);
    if (st == NNGPU_OK)
        st = nngpu_graph_add_constant(r->g, ng_rw_tmp(r, "zero_point", names[2], 600), wdt, 2, sd, zp);
    free(w);
    free(zp);
    return st;
}

nngpu_status ng_onnx_add_contrib_nbits_node(ng_onnx_rewrite *r) {
    const char *a = ng_rw_input(r, 0), *y = ng_rw_output(r, 0), *bias = ng_rw_input(r, 5);
    if (!a || !ng_rw_input(r, 1) || !ng_rw_input(r, 2) || !y)
        return fail(r, NNGPU_ERR_PARSE, "A, B, scales and Y are required");
    const int64_t K = ng_rw_attr_int(r, "K", 0), N = ng_rw_attr_int(r, "N", 0);
    const int64_t bits = ng_rw_attr_int(r, "bits", 4), bs = ng_rw_attr_int(r, "block_size", 0);
    if (bits != 4 && bits != 8) return fail(r, NNGPU_ERR_UNSUPPORTED, "only bits 4 and 8 are supported");
    if (K < 1 || N < 1 || bs < 16 || (bs & (bs - 1)))
        return fail(r, NNGPU_ERR_INVALID_ARG, "K and N must be >= 1 and block_size a power of 2 >= 16");
    if (ng_rw_input(r, 4)) return fail(r, NNGPU_ERR_UNSUPPORTED, "g_idx (act-order) is not supported");
    int at = ng_tensor_find(r->g, a);
    if (at >= 0 && r->g->tensors[at].dtype != NNGPU_DTYPE_FLOAT32 &&
        r->g->tensors[at].dtype != NNGPU_DTYPE_UNDEFINED)
        return fail(r, NNGPU_ERR_UNSUPPORTED, "A must be float32");
    char names[3][600], wdq[600], wt[600], prod[600];
    NG_CHECK(weights(r, K, N, (int)bits, bs, names));
    const char *dq_in[3] = {names[0], names[1], names[2]};
    NG_CHECK(ng_rw_add(r, "DequantizeLinear", 0, 3, dq_in, ng_rw_tmp(r, "dequantized", wdq, sizeof wdq)));
    NG_CHECK(nngpu_graph_set_attr_int(r->g, "axis", 1));
    NG_CHECK(nngpu_graph_set_attr_int(r->g, "block_size", bs));
    const char *t_in[1] = {wdq};
    NG_CHECK(ng_rw_add(r, "Transpose", 0, 1, t_in, ng_rw_tmp(r, "transposed", wt, sizeof wt)));
    const int64_t perm[2] = {1, 0};
    NG_CHECK(nngpu_graph_set_attr_ints(r->g, "perm", 2, perm));
    const char *mm_in[2] = {a, wt};
    if (!bias) return ng_rw_add(r, "MatMul", 1, 2, mm_in, y);
    NG_CHECK(ng_rw_add(r, "MatMul", 1, 2, mm_in, ng_rw_tmp(r, "product", prod, sizeof prod)));
    const char *add_in[2] = {prod, bias};
    return ng_rw_add(r, "Add", 0, 2, add_in, y);
}
