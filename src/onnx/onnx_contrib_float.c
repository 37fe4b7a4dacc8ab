/* onnxruntime's com.microsoft float fusions, which a model saved by an
 * onnxruntime session (SessionOptions.optimized_model_filepath, level
 * "extended") or its transformers optimizer carries, rewritten at import into
 * the standard ops they fuse; nngpu's own passes fuse them again for its
 * kernels:
 *   FusedConv(X, W, B, Z)  act(Conv(X, W, B) + Z)     activation, activation_params
 *   FusedGemm(A, B, C)     act(Gemm(A, B, C))         activation, activation_alpha/_beta
 *   FusedMatMul(A, B)      alpha * MatMul(A', B')     transA/transB as an Einsum
 *   Gelu, BiasGelu(X, B), FastGelu(X, B)  Gelu (erf; FastGelu: tanh) of X (+ B)
 *   QuickGelu(X)           X * Sigmoid(alpha * X)
 *   SkipLayerNormalization(X, skip, gamma, beta, bias)
 *                          LayerNormalization(X + skip + bias) over the last axis
 *   SkipSimplifiedLayerNormalization(X, skip, gamma, bias)
 *                          the RMS normalization of X + skip + bias, times gamma
 * Specs: onnxruntime docs/ContribOperators.md. */
#include <stdio.h>
#include <string.h>

#include "core/status.h"
#include "nngpu/graph.h"
#include "onnx_internal.h"

static const char *const FLOAT_OPS[] = {"FusedConv", "FusedGemm", "FusedMatMul", "Gelu", "BiasGelu",
                                        "FastGelu", "QuickGelu", "SkipLayerNormalization",
                                        "SkipSimplifiedLayerNormalization"};

int ng_onnx_is_contrib_float_op(const char *op_type) {
    for (size_t i = 0; i < sizeof FLOAT_OPS / sizeof *FLOAT_OPS; i++)
        if (strcmp(FLOAT_OPS[i], op_type) == 0) return 1;
    return 0;
}

/* The string attribute into buf ("" when absent). */
static const char *attr_str(const ng_onnx_rewrite *r, const char *name, char *buf, size_t cap) {
    const Onnx__AttributeProto *a = ng_rw_attr(r, name);
    size_t n = a && a->s.data ? a->s.len : 0;
    if (n >= cap) n = cap - 1;
    if (n) memcpy(buf, a->s.data, n);
    buf[n] = '\0';
    return buf;
}

/* Activation `act` (params p[0], p[1]; n_p of them given) from x into out. */
static nngpu_status activation(ng_onnx_rewrite *r, const char *act, const float *p, size_t n_p,
                               const char *x, const char *out) {
    const char *ins[3] = {x, NULL, NULL};
    if (!strcmp(act, "Relu") || !strcmp(act, "Tanh") || !strcmp(act, "Sigmoid"))
        return ng_rw_add(r, act, 0, 1, ins, out);
    if (!strcmp(act, "LeakyRelu") && n_p >= 1) {
        NG_CHECK(ng_rw_add(r, act, 0, 1, ins, out));
        return nngpu_graph_set_attr_float(r->g, "alpha", p[0]);
    }
    if (!strcmp(act, "HardSigmoid") && n_p >= 2) {
        NG_CHECK(ng_rw_add(r, act, 0, 1, ins, out));
        NG_CHECK(nngpu_graph_set_attr_float(r->g, "alpha", p[0]));
        return nngpu_graph_set_attr_float(r->g, "beta", p[1]);
    }
    if (!strcmp(act, "Clip") && n_p >= 2) return ng_rw_clip(r, x, p[0], p[1], out);
    return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s' (%s): activation '%s' is not supported",
                    r->name, r->nd->op_type, act);
}

/* FusedConv / FusedGemm: the layer, + Z (FusedConv's fourth input), the activation. */
static nngpu_status fused_layer(ng_onnx_rewrite *r, int conv) {
    char act[64], pre[600], sum[600];
    attr_str(r, "activation", act, sizeof act);
    float p[2] = {0, 0};
    size_t n_p = 0;
    const Onnx__AttributeProto *ap = ng_rw_attr(r, "activation_params");
    if (conv && ap)
        for (n_p = 0; n_p < ap->n_floats && n_p < 2; n_p++) p[n_p] = ap->floats[n_p];
    if (!conv) { /* FusedGemm: LeakyRelu's alpha, HardSigmoid's alpha and beta */
        const Onnx__AttributeProto *a = ng_rw_attr(r, "activation_alpha");
        const Onnx__AttributeProto *b = ng_rw_attr(r, "activation_beta");
        if (a) p[n_p++] = a->f;
        if (a && b) p[n_p++] = b->f;
    }
    const char *ins[3] = {ng_rw_input(r, 0), ng_rw_input(r, 1), ng_rw_input(r, 2)};
    if (!ins[0] || !ins[1] || !ng_rw_output(r, 0))
        return ng_error(NNGPU_ERR_PARSE, "node '%s' (%s): an input or the output is missing",
                        r->name, r->nd->op_type);
    const char *z = conv ? ng_rw_input(r, 3) : NULL, *y = r->nd->output[0];
    const char *layer_out = *act || z ? ng_rw_tmp(r, "y", pre, sizeof pre) : y;
    NG_CHECK(ng_rw_add(r, conv ? "Conv" : "Gemm", 1, ins[2] ? 3 : 2, ins, layer_out));
    NG_CHECK(ng_rw_copy_attrs(r, "activation"));
    if (z) {
        const char *add_in[2] = {layer_out, z};
        const char *s = *act ? ng_rw_tmp(r, "sum", sum, sizeof sum) : y;
        NG_CHECK(ng_rw_add(r, "Add", 0, 2, add_in, s));
        layer_out = s;
    }
    return *act ? activation(r, act, p, n_p, layer_out, y) : NNGPU_OK;
}

/* FusedMatMul: alpha * A' B', transposes of the last two dims as an Einsum. */
static nngpu_status fused_matmul(ng_onnx_rewrite *r) {
    if (ng_rw_attr_int(r, "transBatchA", 0) || ng_rw_attr_int(r, "transBatchB", 0))
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s' (FusedMatMul): transBatchA/transBatchB "
                        "are not supported", r->name);
    const char *ins[2] = {ng_rw_input(r, 0), ng_rw_input(r, 1)}, *y = ng_rw_output(r, 0);
    if (!ins[0] || !ins[1] || !y)
        return ng_error(NNGPU_ERR_PARSE, "node '%s' (FusedMatMul): an input or the output is "
                        "missing", r->name);
    float alpha = ng_rw_attr_float(r, "alpha", 1.0f);
    int ta = ng_rw_attr_int(r, "transA", 0) != 0, tb = ng_rw_attr_int(r, "transB", 0) != 0;
    char prod[600], k[600];
    const char *mm = alpha != 1.0f ? ng_rw_tmp(r, "product", prod, sizeof prod) : y;
    if (!ta && !tb) {
        NG_CHECK(ng_rw_add(r, "MatMul", 1, 2, ins, mm));
    } else {
        char eq[32];
        snprintf(eq, sizeof eq, "...%s,...%s->...mn", ta ? "km" : "mk", tb ? "nk" : "kn");
        NG_CHECK(ng_rw_add(r, "Einsum", 1, 2, ins, mm));
        NG_CHECK(nngpu_graph_set_attr_string(r->g, "equation", eq));
    }
    if (alpha == 1.0f) return NNGPU_OK;
    NG_CHECK(ng_rw_scalar(r, "alpha", alpha, k, sizeof k));
    const char *mul_in[2] = {mm, k};
    return ng_rw_add(r, "Mul", 0, 2, mul_in, y);
}

/* Gelu, BiasGelu, FastGelu: Gelu of X (+ bias). */
static nngpu_status gelu(ng_onnx_rewrite *r, int tanh_approx) {
    const char *x = ng_rw_input(r, 0), *b = ng_rw_input(r, 1), *y = ng_rw_output(r, 0);
    if (!x || !y || (!b && !strcmp(r->nd->op_type, "BiasGelu")))
        return ng_error(NNGPU_ERR_PARSE, "node '%s' (%s): an input or the output is missing",
                        r->name, r->nd->op_type);
    char s[600];
    if (b) {
        const char *add_in[2] = {x, b};
        NG_CHECK(ng_rw_add(r, "Add", 0, 2, add_in, ng_rw_tmp(r, "biased", s, sizeof s)));
        x = s;
    }
    NG_CHECK(ng_rw_add(r, "Gelu", 1, 1, &x, y));
    return tanh_approx ? nngpu_graph_set_attr_string(r->g, "approximate", "tanh") : NNGPU_OK;
}

/* QuickGelu: X * Sigmoid(alpha * X). */
static nngpu_status quick_gelu(ng_onnx_rewrite *r) {
    const char *x = ng_rw_input(r, 0), *y = ng_rw_output(r, 0);
    if (!x || !y)
        return ng_error(NNGPU_ERR_PARSE, "node '%s' (QuickGelu): the input or output is missing",
                        r->name);
    char k[600], ax[600], sg[600];
    NG_CHECK(ng_rw_scalar(r, "alpha", ng_rw_attr_float(r, "alpha", 1.702f), k, sizeof k));
    const char *mul_in[2] = {x, k};
    NG_CHECK(ng_rw_add(r, "Mul", 0, 2, mul_in, ng_rw_tmp(r, "scaled", ax, sizeof ax)));
    const char *sig_in[1] = {ax};
    NG_CHECK(ng_rw_add(r, "Sigmoid", 0, 1, sig_in, ng_rw_tmp(r, "gate", sg, sizeof sg)));
    const char *out_in[2] = {x, sg};
    return ng_rw_add(r, "Mul", 1, 2, out_in, y);
}

/* SkipLayerNormalization: s = X + skip (+ bias); LayerNormalization(s) over
 * the last axis; output 3, when asked for, is s. SkipSimplifiedLayerNormalization
 * (rms): the same with the RMS normalization, gamma only, bias input 3. */
static nngpu_status skip_layer_norm(ng_onnx_rewrite *r, int rms) {
    const char *op = r->nd->op_type;
    const char *x = ng_rw_input(r, 0), *skip = ng_rw_input(r, 1), *gamma = ng_rw_input(r, 2);
    const char *y = ng_rw_output(r, 0);
    if (!x || !skip || !gamma || !y)
        return ng_error(NNGPU_ERR_PARSE, "node '%s' (%s): an input or the output is missing", r->name, op);
    if (ng_rw_output(r, 1) || ng_rw_output(r, 2))
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s' (%s): the mean and inv_std_var outputs "
                        "are not supported", r->name, op);
    char s1[600], s2[600];
    const char *bias = ng_rw_input(r, rms ? 3 : 4), *sum = ng_rw_output(r, 3);
    const char *add_in[2] = {x, skip};
    const char *s = bias || !sum ? ng_rw_tmp(r, "sum", s1, sizeof s1) : sum;
    NG_CHECK(ng_rw_add(r, "Add", 0, 2, add_in, s));
    if (bias) {
        const char *bias_in[2] = {s, bias};
        const char *sb = sum ? sum : ng_rw_tmp(r, "sum_bias", s2, sizeof s2);
        NG_CHECK(ng_rw_add(r, "Add", 0, 2, bias_in, sb));
        s = sb;
    }
    float eps = ng_rw_attr_float(r, "epsilon", 1e-5f);
    if (rms) return ng_rw_rms_norm(r, s, gamma, -1, eps, 1, y);
    const char *ln_in[3] = {s, gamma, ng_rw_input(r, 3)};
    NG_CHECK(ng_rw_add(r, "LayerNormalization", 1, ln_in[2] ? 3 : 2, ln_in, y));
    NG_CHECK(nngpu_graph_set_attr_int(r->g, "axis", -1));
    return nngpu_graph_set_attr_float(r->g, "epsilon", eps);
}

nngpu_status ng_onnx_add_contrib_float_node(ng_onnx_rewrite *r) {
    const char *op = r->nd->op_type;
    if (!strcmp(op, "FusedConv")) return fused_layer(r, 1);
    if (!strcmp(op, "FusedGemm")) return fused_layer(r, 0);
    if (!strcmp(op, "FusedMatMul")) return fused_matmul(r);
    if (!strcmp(op, "QuickGelu")) return quick_gelu(r);
    if (!strcmp(op, "SkipLayerNormalization")) return skip_layer_norm(r, 0);
    if (!strcmp(op, "SkipSimplifiedLayerNormalization")) return skip_layer_norm(r, 1);
    return gelu(r, !strcmp(op, "FastGelu"));
}
