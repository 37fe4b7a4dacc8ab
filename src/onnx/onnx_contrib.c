/* onnxruntime's com.microsoft contrib ops, rewritten at import into standard
 * ops: the float fusions in onnx_contrib_float.c, Attention in
 * onnx_contrib_attention.c, MatMulNBits in onnx_contrib_nbits.c; here the quantized ones its
 * quantizer writes in the QOperator format beside the standard QLinearConv /
 * QLinearMatMul (QLinearAdd, QLinearGlobalAveragePool, QGemm, ...): every
 * quantized input is dequantized, the float op runs, its result is quantized
 * again. The graph passes then treat them like a QDQ model's nodes
 * (fold_qdq.c folds DQ -> Gemm -> Q into an int8 layer).
 *
 * Specs: onnxruntime docs/ContribOperators.md. */
#include <stdio.h>
#include <string.h>

#include "core/status.h"
#include "nngpu/graph.h"
#include "onnx_internal.h"

enum { VARIADIC = -1 };

/* One op: float_op runs on inputs taken, in order, from `slots`, each the
 * first input of a quantized (x, scale, zero point) triple; n_slots VARIADIC:
 * triples from slots[0] to the end. out: the input holding the output's scale
 * (its zero point follows). */
typedef struct contrib_op {
    const char *op_type, *float_op;
    int n_slots;
    int slots[2];
    int out;
} contrib_op;

static const contrib_op OPS[] = {
    {"QLinearAdd", "Add", 2, {0, 3}, 6},
    {"QLinearMul", "Mul", 2, {0, 3}, 6},
    {"QLinearSigmoid", "Sigmoid", 1, {0}, 3},
    {"QLinearLeakyRelu", "LeakyRelu", 1, {0}, 3},
    {"QLinearSoftmax", "Softmax", 1, {0}, 3},
    {"QLinearGlobalAveragePool", "GlobalAveragePool", 1, {0}, 3},
    {"QLinearAveragePool", "AveragePool", 1, {0}, 3},
    {"QLinearConcat", "Concat", VARIADIC, {2}, 0},
    {"QGemm", "Gemm", 2, {0, 3}, 7}, /* plus the int32 bias C, input 6 */
};

static const contrib_op *find(const char *domain, const char *op_type) {
    if (!domain || strcmp(domain, "com.microsoft") != 0 || !op_type) return NULL;
    for (size_t i = 0; i < sizeof OPS / sizeof *OPS; i++)
        if (strcmp(OPS[i].op_type, op_type) == 0) return &OPS[i];
    return NULL;
}

/* The contrib-domain copies of the standard quantization ops. */
static int is_contrib_qdq(const char *domain, const char *op_type) {
    return domain && strcmp(domain, "com.microsoft") == 0 && op_type &&
           (strcmp(op_type, "QuantizeLinear") == 0 || strcmp(op_type, "DequantizeLinear") == 0);
}

int ng_onnx_is_contrib_op(const char *domain, const char *op_type) {
    return find(domain, op_type) || is_contrib_qdq(domain, op_type) ||
           (domain && strcmp(domain, "com.microsoft") == 0 && op_type &&
            (ng_onnx_is_contrib_float_op(op_type) || ng_onnx_is_contrib_attention_op(op_type) ||
             ng_onnx_is_contrib_nbits_op(op_type) || ng_onnx_is_contrib_gqa_op(op_type) ||
             ng_onnx_is_contrib_mha_op(op_type)));
}

/* (De)quantizes the triple x, x + 1 (scale), x + 2 (zero point, optional)
 * into out; axis >= 0 sets a per-channel axis. */
static nngpu_status convert(ng_onnx_rewrite *r, const char *op, size_t x, int axis, const char *out) {
    const char *ins[3] = {ng_rw_input(r, x), ng_rw_input(r, x + 1), ng_rw_input(r, x + 2)};
    if (!ins[0] || !ins[1])
        return ng_error(NNGPU_ERR_PARSE, "node '%s' (%s): input %zu or its scale is missing",
                        r->name, r->nd->op_type, x);
    NG_CHECK(ng_rw_add(r, op, 0, ins[2] ? 3 : 2, ins, out));
    return axis >= 0 ? nngpu_graph_set_attr_int(r->g, "axis", axis) : NNGPU_OK;
}

/* Attributes the float op does not take. */
static int contrib_only_attr(const char *name) {
    return strcmp(name, "channels_last") == 0 || strcmp(name, "opset") == 0;
}

static nngpu_status check_attrs(const ng_onnx_rewrite *r, int opset) {
    const char *op = r->nd->op_type;
    if (ng_rw_attr_int(r, "channels_last", 0))
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s' (%s): channels_last=1 is not supported",
                        r->name, op);
    int64_t sm = ng_rw_attr_int(r, "opset", opset);
    if (strcmp(op, "QLinearSoftmax") == 0 && (sm < 13) != (opset < 13))
        return ng_error(NNGPU_ERR_UNSUPPORTED,
                        "node '%s' (QLinearSoftmax): softmax semantics of opset %lld in an opset "
                        "%d model are not supported", r->name, (long long)sm, opset);
    return NNGPU_OK;
}

/* QGemm's bias C: int32 with zero point 0 and scale alpha / beta * a_scale *
 * b_scale, as a float tensor into out (Cast, then Mul: broadcasting serves a
 * per-channel b_scale for C of [N] or [M, N]). */
static nngpu_status qgemm_bias(ng_onnx_rewrite *r, const char *out) {
    float alpha = ng_rw_attr_float(r, "alpha", 1.0f), beta = ng_rw_attr_float(r, "beta", 1.0f);
    if (beta == 0.0f) return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s' (QGemm): beta=0 with C", r->name);
    char cf[600], ab[600], ratio[600], scale[600];
    NG_CHECK(ng_rw_scalar(r, "alpha_over_beta", alpha / beta, ratio, sizeof ratio));
    const char *ab_in[] = {ng_rw_input(r, 1), ng_rw_input(r, 4)};
    NG_CHECK(ng_rw_cast(r, ng_rw_input(r, 6), 1 /* FLOAT */, ng_rw_tmp(r, "c", cf, sizeof cf)));
    NG_CHECK(ng_rw_add(r, "Mul", 0, 2, ab_in, ng_rw_tmp(r, "ab_scale", ab, sizeof ab)));
    const char *s_in[] = {ab, ratio}, *c_in[] = {cf, scale};
    NG_CHECK(ng_rw_add(r, "Mul", 0, 2, s_in, ng_rw_tmp(r, "c_scale", scale, sizeof scale)));
    return ng_rw_add(r, "Mul", 0, 2, c_in, out);
}

static nngpu_status rewrite_op(ng_onnx_rewrite *r, const contrib_op *op, int opset) {
    const Onnx__NodeProto *nd = r->nd;
    NG_CHECK(check_attrs(r, opset));
    if (nd->n_output < 1 || !nd->output[0] || !*nd->output[0])
        return ng_error(NNGPU_ERR_PARSE, "node '%s' (%s) has no output", r->name, nd->op_type);
    int is_gemm = strcmp(op->op_type, "QGemm") == 0;
    int n_in = op->n_slots;
    if (n_in == VARIADIC) {
        if (nd->n_input < 5 || (nd->n_input - 2) % 3 != 0 || nd->n_input > 3 * 64)
            return ng_error(NNGPU_ERR_PARSE, "node '%s' (%s): inputs are not (x, scale, zero "
                            "point) triples", r->name, nd->op_type);
        n_in = (int)(nd->n_input - 2) / 3;
    }
    char names[65][600];
    const char *ins[65];
    for (int i = 0; i < n_in; i++) {
        int slot = op->n_slots == VARIADIC ? op->slots[0] + 3 * i : op->slots[i];
        /* QGemm's B may be per-channel along N: axis 1 of [K, N], 0 of [N, K] */
        int axis = is_gemm && slot == 3 ? (ng_rw_attr_int(r, "transB", 0) ? 0 : 1) : -1;
        ins[i] = ng_rw_tmp(r, "dq", names[i], sizeof names[i]);
        NG_CHECK(convert(r, "DequantizeLinear", (size_t)slot, axis, ins[i]));
    }
    if (is_gemm && ng_rw_input(r, 6)) {
        ins[n_in] = ng_rw_tmp(r, "bias", names[n_in], sizeof names[n_in]);
        NG_CHECK(qgemm_bias(r, ins[n_in]));
        n_in++;
    }
    const char *out = nd->output[0];
    int quantized_out = ng_rw_input(r, (size_t)op->out) != NULL;
    char y[600];
    if (quantized_out) out = ng_rw_tmp(r, "y", y, sizeof y);
    NG_CHECK(ng_rw_add(r, op->float_op, 1, n_in, ins, out));
    for (size_t a = 0; a < nd->n_attribute; a++) {
        const Onnx__AttributeProto *at = nd->attribute[a];
        if (at && at->name && contrib_only_attr(at->name)) continue;
        NG_CHECK(ng_onnx_add_attr(r->g, r->base_dir, at, r->name));
    }
    if (!quantized_out) return NNGPU_OK;
    const char *q_in[3] = {y, ng_rw_input(r, (size_t)op->out), ng_rw_input(r, (size_t)op->out + 1)};
    char node[600];
    snprintf(node, sizeof node, "%s/quantize", r->name);
    return nngpu_graph_add_node(r->g, "QuantizeLinear", node, q_in[2] ? 3 : 2, q_in, 1,
                                (const char *const *)nd->output);
}

/* com.microsoft QuantizeLinear / DequantizeLinear: the standard op. */
static nngpu_status rewrite_qdq(ng_onnx_rewrite *r) {
    const Onnx__NodeProto *nd = r->nd;
    if (nd->n_input < 2 || nd->n_input > 3 || nd->n_output != 1)
        return ng_error(NNGPU_ERR_PARSE, "node '%s' (%s): needs 2 or 3 inputs and one output",
                        r->name, nd->op_type);
    const char *ins[3] = {ng_rw_input(r, 0), ng_rw_input(r, 1), ng_rw_input(r, 2)};
    if (!ins[0] || !ins[1] || !nd->output[0] || !*nd->output[0])
        return ng_error(NNGPU_ERR_PARSE, "node '%s' (%s): an input or the output is missing",
                        r->name, nd->op_type);
    NG_CHECK(nngpu_graph_add_node(r->g, nd->op_type, r->name, ins[2] ? 3 : 2, ins, 1,
                                  (const char *const *)nd->output));
    return ng_rw_copy_attrs(r, NULL);
}

nngpu_status ng_onnx_add_contrib_node(ng_onnx_rewrite *r) {
    const Onnx__NodeProto *nd = r->nd;
    const contrib_op *op = find(nd->domain, nd->op_type);
    if (op) return rewrite_op(r, op, r->opset);
    if (is_contrib_qdq(nd->domain, nd->op_type)) return rewrite_qdq(r);
    if (ng_onnx_is_contrib_attention_op(nd->op_type)) return ng_onnx_add_contrib_attention_node(r);
    if (ng_onnx_is_contrib_nbits_op(nd->op_type)) return ng_onnx_add_contrib_nbits_node(r);
    if (ng_onnx_is_contrib_gqa_op(nd->op_type)) return ng_onnx_add_contrib_gqa_node(r);
    if (ng_onnx_is_contrib_mha_op(nd->op_type)) return ng_onnx_add_contrib_mha_node(r);
    return ng_onnx_add_contrib_float_node(r);
}
