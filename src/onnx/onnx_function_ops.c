/* ONNX ops the standard defines as functions of other ops, rewritten at import
 * into those ops so that their pieces run as device kernels and fuse:
 *   MeanVarianceNormalization(X; axes = [0, 2, 3])
 *       (X - mean) / (sqrt(mean((X - mean)^2)) + 1e-9)  (the function body's
 *       epsilon, added to the standard deviation; variance of the centred X)
 *   LpNormalization(X; axis = -1, p = 2)    X / max(ReduceL<p>(X, axis, keepdims), FLT_MIN)
 *   ReduceLogSum(X[, axes]; keepdims, noop_with_empty_axes)   Log(ReduceSum(...))
 *   Scatter (deprecated, opsets 9-10)       ScatterElements, same inputs and axis
 *   RMSNormalization(X, scale; axis = -1, epsilon = 1e-5)
 *       X / sqrt(ReduceMean(X * X, axes = axis..rank-1) + epsilon) * scale
 *   Swish(X; alpha = 1)                     X * Sigmoid(alpha * X)
 *   SwiGLU(A, B; alpha = 1)                 Swish(A; alpha) * B
 *   Compress(X, condition; axis)            Gather(X, Reshape(NonZero(condition), [-1]), axis)
 *                                           (no axis: of Reshape(X, [-1])); the selection's
 *                                           length is known per run (a run-time tail)
 *   CenterCropPad(X, shape; axes)           Pad(Slice(X)) centred (center_crop_pad) */
#include <float.h>
#include <string.h>

#include "core/status.h"
#include "nngpu/graph.h"
#include "onnx_internal.h"

static nngpu_status need_io(const ng_onnx_rewrite *r, size_t min_in, size_t max_in) {
    const Onnx__NodeProto *nd = r->nd;
    if (nd->n_input < min_in || nd->n_input > max_in || !ng_rw_input(r, 0) || nd->n_output != 1 ||
        !ng_rw_output(r, 0))
        return ng_error(NNGPU_ERR_PARSE, "node '%s' (%s): wrong number of inputs or outputs",
                        r->name, nd->op_type);
    return NNGPU_OK;
}

/* The node's axes attribute, or def (n_def of them). */
static nngpu_status set_axes(ng_onnx_rewrite *r, const int64_t *def, int n_def) {
    const Onnx__AttributeProto *a = ng_rw_attr(r, "axes");
    if (a && a->n_ints > NNGPU_MAX_DIMS)
        return ng_error(NNGPU_ERR_PARSE, "node '%s': too many axes", r->name);
    if (a) return nngpu_graph_set_attr_ints(r->g, "axes", (int)a->n_ints, a->ints);
    return nngpu_graph_set_attr_ints(r->g, "axes", n_def, def);
}

static nngpu_status mvn(ng_onnx_rewrite *r) {
    NG_CHECK(need_io(r, 1, 1));
    static const int64_t def_axes[] = {0, 2, 3};
    const char *x = ng_rw_input(r, 0);
    char mean[600], d[600], d2[600], var[600], sd[600], eps[600], den[600];
    NG_CHECK(ng_rw_add(r, "ReduceMean", 0, 1, &x, ng_rw_tmp(r, "mean", mean, sizeof mean)));
    NG_CHECK(set_axes(r, def_axes, 3));
    const char *sub[] = {x, mean};
    NG_CHECK(ng_rw_add(r, "Sub", 0, 2, sub, ng_rw_tmp(r, "centred", d, sizeof d)));
    const char *sq[] = {d, d};
    NG_CHECK(ng_rw_add(r, "Mul", 0, 2, sq, ng_rw_tmp(r, "squares", d2, sizeof d2)));
    const char *d2p = d2;
    NG_CHECK(ng_rw_add(r, "ReduceMean", 0, 1, &d2p, ng_rw_tmp(r, "variance", var, sizeof var)));
    NG_CHECK(set_axes(r, def_axes, 3));
    const char *varp = var;
    NG_CHECK(ng_rw_add(r, "Sqrt", 0, 1, &varp, ng_rw_tmp(r, "sd", sd, sizeof sd)));
    NG_CHECK(ng_rw_scalar(r, "eps", 1e-9f, eps, sizeof eps));
    const char *add[] = {sd, eps};
    NG_CHECK(ng_rw_add(r, "Add", 0, 2, add, ng_rw_tmp(r, "denominator", den, sizeof den)));
    const char *div[] = {d, den};
    return ng_rw_add(r, "Div", 1, 2, div, ng_rw_output(r, 0));
}

static nngpu_status lp_normalization(ng_onnx_rewrite *r) {
    NG_CHECK(need_io(r, 1, 1));
    int64_t p = ng_rw_attr_int(r, "p", 2), axis = ng_rw_attr_int(r, "axis", -1);
    if (p != 1 && p != 2)
        return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s' (LpNormalization): p must be 1 or 2, not %lld",
                        r->name, (long long)p);
    const char *x = ng_rw_input(r, 0);
    char norm[600];
    NG_CHECK(ng_rw_add(r, p == 1 ? "ReduceL1" : "ReduceL2", 0, 1, &x,
                       ng_rw_tmp(r, "norm", norm, sizeof norm)));
    NG_CHECK(nngpu_graph_set_attr_ints(r->g, "axes", 1, &axis));
    NG_CHECK(nngpu_graph_set_attr_int(r->g, "keepdims", 1));
    /* A zero vector stays zero (as in onnxruntime): 0 / max(0, FLT_MIN). */
    char tiny[600], safe[600];
    NG_CHECK(ng_rw_scalar(r, "tiny", FLT_MIN, tiny, sizeof tiny));
    const char *mx[] = {norm, tiny};
    NG_CHECK(ng_rw_add(r, "Max", 0, 2, mx, ng_rw_tmp(r, "safe_norm", safe, sizeof safe)));
    const char *div[] = {x, safe};
    return ng_rw_add(r, "Div", 1, 2, div, ng_rw_output(r, 0));
}

static nngpu_status reduce_log_sum(ng_onnx_rewrite *r) {
    NG_CHECK(need_io(r, 1, 2));
    const char *ins[2] = {ng_rw_input(r, 0), ng_rw_input(r, 1)};
    char sum[600];
    NG_CHECK(ng_rw_add(r, "ReduceSum", 0, ins[1] ? 2 : 1, ins, ng_rw_tmp(r, "sum", sum, sizeof sum)));
    NG_CHECK(ng_rw_copy_attrs(r, NULL));
    const char *s = sum;
    return ng_rw_add(r, "Log", 1, 1, &s, ng_rw_output(r, 0));
}

static nngpu_status scatter(ng_onnx_rewrite *r) {
    NG_CHECK(need_io(r, 3, 3));
    const char *ins[3] = {ng_rw_input(r, 0), ng_rw_input(r, 1), ng_rw_input(r, 2)};
    NG_CHECK(ng_rw_add(r, "ScatterElements", 1, 3, ins, ng_rw_output(r, 0)));
    return ng_rw_copy_attrs(r, NULL);
}

/* axes = [axis, ..., rank(x) - 1] as a tensor into buf: constants for a negative
 * axis, else Range(axis, rank(x), 1) of Shape(Shape(x)) (folded at compile time). */
static nngpu_status axes_to_end(ng_onnx_rewrite *r, const char *x, int64_t axis, char *buf, size_t cap) {
    if (axis < -NNGPU_MAX_DIMS || axis >= NNGPU_MAX_DIMS)
        return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': axis %lld is out of range", r->name,
                        (long long)axis);
    if (axis < 0) {
        int64_t axes[NNGPU_MAX_DIMS], n = -axis;
        for (int64_t i = 0; i < n; i++) axes[i] = axis + i;
        return ng_rw_i64(r, "axes", 1, n, axes, buf, cap);
    }
    char shape[600], rank1[600], rank[600], start[600], one[600];
    const int64_t delta = 1;
    NG_CHECK(ng_rw_add(r, "Shape", 0, 1, &x, ng_rw_tmp(r, "shape", shape, sizeof shape)));
    const char *sp = shape, *r1 = rank1;
    NG_CHECK(ng_rw_add(r, "Shape", 0, 1, &sp, ng_rw_tmp(r, "rank1", rank1, sizeof rank1)));
    NG_CHECK(ng_rw_add(r, "Squeeze", 0, 1, &r1, ng_rw_tmp(r, "rank", rank, sizeof rank)));
    NG_CHECK(ng_rw_i64(r, "start", 0, 1, &axis, start, sizeof start));
    NG_CHECK(ng_rw_i64(r, "delta", 0, 1, &delta, one, sizeof one));
    const char *range[] = {start, rank, one};
    return ng_rw_add(r, "Range", 0, 3, range, ng_rw_tmp(r, "axes", buf, cap));
}

nngpu_status ng_rw_rms_norm(ng_onnx_rewrite *r, const char *x, const char *scale, int64_t axis,
                           float epsilon, int main, const char *out) {
    char axes[600], sq[600], ms[600], eps[600], var[600], rms[600], normed[600];
    NG_CHECK(axes_to_end(r, x, axis, axes, sizeof axes));
    const char *mul[] = {x, x}, *mean[] = {sq, axes}, *add[] = {ms, eps}, *vp = var;
    NG_CHECK(ng_rw_add(r, "Mul", 0, 2, mul, ng_rw_tmp(r, "squares", sq, sizeof sq)));
    NG_CHECK(ng_rw_add(r, "ReduceMean", 0, 2, mean, ng_rw_tmp(r, "mean_square", ms, sizeof ms)));
    NG_CHECK(ng_rw_scalar(r, "epsilon", epsilon, eps, sizeof eps));
    NG_CHECK(ng_rw_add(r, "Add", 0, 2, add, ng_rw_tmp(r, "variance", var, sizeof var)));
    NG_CHECK(ng_rw_add(r, "Sqrt", 0, 1, &vp, ng_rw_tmp(r, "rms", rms, sizeof rms)));
    const char *div[] = {x, rms}, *scaled[] = {normed, scale};
    NG_CHECK(ng_rw_add(r, "Div", 0, 2, div, ng_rw_tmp(r, "normalized", normed, sizeof normed)));
    return ng_rw_add(r, "Mul", main, 2, scaled, out);
}

/* RMSNormalization, and onnxruntime's SimplifiedLayerNormalization (the same
 * inputs and attributes; its inv_std_var output unsupported). */
static nngpu_status rms_normalization(ng_onnx_rewrite *r) {
    const Onnx__NodeProto *nd = r->nd;
    for (size_t i = 1; i < nd->n_output; i++)
        if (ng_rw_output(r, i))
            return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s' (%s): output %zu is not supported",
                            r->name, nd->op_type, i);
    if (nd->n_input != 2 || !ng_rw_input(r, 0) || !ng_rw_input(r, 1) || !ng_rw_output(r, 0))
        return ng_error(NNGPU_ERR_PARSE, "node '%s' (%s): needs X, scale and Y", r->name, nd->op_type);
    return ng_rw_rms_norm(r, ng_rw_input(r, 0), ng_rw_input(r, 1), ng_rw_attr_int(r, "axis", -1),
                          ng_rw_attr_float(r, "epsilon", 1e-5f), 1, ng_rw_output(r, 0));
}

/* x * Sigmoid(alpha * x) -> out (the rewritten node's name when main). */
static nngpu_status swish_of(ng_onnx_rewrite *r, const char *x, int main, const char *out) {
    const char *arg = x;
    float alpha = ng_rw_attr_float(r, "alpha", 1.0f);
    char a[600], ax[600], sig[600];
    if (alpha != 1.0f) {
        NG_CHECK(ng_rw_scalar(r, "alpha", alpha, a, sizeof a));
        const char *mul[] = {x, a};
        NG_CHECK(ng_rw_add(r, "Mul", 0, 2, mul, arg = ng_rw_tmp(r, "scaled", ax, sizeof ax)));
    }
    NG_CHECK(ng_rw_add(r, "Sigmoid", 0, 1, &arg, ng_rw_tmp(r, "gate", sig, sizeof sig)));
    const char *ins[] = {x, sig};
    return ng_rw_add(r, "Mul", main, 2, ins, out);
}

static nngpu_status swish(ng_onnx_rewrite *r) {
    NG_CHECK(need_io(r, 1, 1));
    return swish_of(r, ng_rw_input(r, 0), 1, ng_rw_output(r, 0));
}

static nngpu_status swiglu(ng_onnx_rewrite *r) {
    NG_CHECK(need_io(r, 2, 2));
    if (!ng_rw_input(r, 1))
        return ng_error(NNGPU_ERR_PARSE, "node '%s' (SwiGLU): input 'B' is missing", r->name);
    char gated[600];
    NG_CHECK(swish_of(r, ng_rw_input(r, 0), 0, ng_rw_tmp(r, "swish", gated, sizeof gated)));
    const char *ins[] = {gated, ng_rw_input(r, 1)};
    return ng_rw_add(r, "Mul", 1, 2, ins, ng_rw_output(r, 0));
}

static nngpu_status compress(ng_onnx_rewrite *r) {
    NG_CHECK(need_io(r, 2, 2));
    if (!ng_rw_input(r, 1))
        return ng_error(NNGPU_ERR_PARSE, "node '%s' (Compress): input 'condition' is missing", r->name);
    const int64_t flat = -1;
    const int has_axis = ng_rw_attr(r, "axis") != NULL;
    char shape[600], nz[600], idx[600], xf[600], cf[600];
    const char *cond = ng_rw_input(r, 1), *x = ng_rw_input(r, 0);
    NG_CHECK(ng_rw_i64(r, "flat", 1, 1, &flat, shape, sizeof shape));
    /* the condition flattened: onnxruntime takes an N-D one as x's flattened
     * mask (paddle2onnx's masked_select) */
    const char *rc[] = {cond, shape};
    NG_CHECK(ng_rw_add(r, "Reshape", 0, 2, rc, cond = ng_rw_tmp(r, "flat_condition", cf, sizeof cf)));
    NG_CHECK(ng_rw_add(r, "NonZero", 0, 1, &cond, ng_rw_tmp(r, "nonzero", nz, sizeof nz)));
    const char *rs[] = {nz, shape};
    NG_CHECK(ng_rw_add(r, "Reshape", 0, 2, rs, ng_rw_tmp(r, "selected", idx, sizeof idx)));
    if (!has_axis) {
        const char *rx[] = {x, shape};
        NG_CHECK(ng_rw_add(r, "Reshape", 0, 2, rx, x = ng_rw_tmp(r, "flat_input", xf, sizeof xf)));
    }
    const char *g[] = {x, idx};
    NG_CHECK(ng_rw_add(r, "Gather", 1, 2, g, ng_rw_output(r, 0)));
    return nngpu_graph_set_attr_int(r->g, "axis", has_axis ? ng_rw_attr_int(r, "axis", 0) : 0);
}

/* CenterCropPad(X, shape; axes): per listed axis (default all) a dim larger
 * than its target is cropped from (dim - target) / 2 on, a smaller one padded
 * with zeros, (target - dim) / 2 before and the rest after:
 *   d = Shape(X)[axes] - shape
 *   Pad(Slice(X, max(d, 0) / 2, that + min(dims, shape), axes),
 *       [max(-d, 0) / 2, max(-d, 0) - max(-d, 0) / 2], axes)
 * (shape arithmetic folded at compile time once X's shape is known). */
static nngpu_status center_crop_pad(ng_onnx_rewrite *r) {
    NG_CHECK(need_io(r, 2, 2));
    if (!ng_rw_input(r, 1))
        return ng_error(NNGPU_ERR_PARSE, "node '%s' (CenterCropPad): input 'shape' is missing", r->name);
    const Onnx__AttributeProto *axes_attr = ng_rw_attr(r, "axes");
    const char *x = ng_rw_input(r, 0), *target = ng_rw_input(r, 1);
    char shape[600], axes[600], dims[600], diff[600], zero[600], two[600], crop[600], start[600],
        keep[600], end[600], neg[600], grow[600], before[600], after[600], pads[600], cut[600];
    const int64_t z = 0, t2 = 2;
    NG_CHECK(ng_rw_add(r, "Shape", 0, 1, &x, ng_rw_tmp(r, "shape", shape, sizeof shape)));
    const char *d = shape;
    if (axes_attr) {
        if (axes_attr->n_ints > NNGPU_MAX_DIMS)
            return ng_error(NNGPU_ERR_PARSE, "node '%s': too many axes", r->name);
        NG_CHECK(ng_rw_i64(r, "axes", 1, (int64_t)axes_attr->n_ints, axes_attr->ints, axes, sizeof axes));
        const char *g[] = {shape, axes};
        NG_CHECK(ng_rw_add(r, "Gather", 0, 2, g, d = ng_rw_tmp(r, "dims", dims, sizeof dims)));
    }
    NG_CHECK(ng_rw_i64(r, "zero", 0, 1, &z, zero, sizeof zero));
    NG_CHECK(ng_rw_i64(r, "two", 0, 1, &t2, two, sizeof two));
    const char *sub[] = {d, target}, *cmax[] = {diff, zero}, *half[] = {crop, two};
    NG_CHECK(ng_rw_add(r, "Sub", 0, 2, sub, ng_rw_tmp(r, "excess", diff, sizeof diff)));
    NG_CHECK(ng_rw_add(r, "Max", 0, 2, cmax, ng_rw_tmp(r, "crop", crop, sizeof crop)));
    NG_CHECK(ng_rw_add(r, "Div", 0, 2, half, ng_rw_tmp(r, "start", start, sizeof start)));
    const char *kmin[] = {d, target}, *kend[] = {start, keep};
    NG_CHECK(ng_rw_add(r, "Min", 0, 2, kmin, ng_rw_tmp(r, "kept", keep, sizeof keep)));
    NG_CHECK(ng_rw_add(r, "Add", 0, 2, kend, ng_rw_tmp(r, "end", end, sizeof end)));
    const char *sl[] = {x, start, end, axes};
    NG_CHECK(ng_rw_add(r, "Slice", 0, axes_attr ? 4 : 3, sl, ng_rw_tmp(r, "cropped", cut, sizeof cut)));
    const char *dp = diff, *gmax[] = {neg, zero}, *ghalf[] = {grow, two}, *gsub[] = {grow, before};
    NG_CHECK(ng_rw_add(r, "Neg", 0, 1, &dp, ng_rw_tmp(r, "shortfall", neg, sizeof neg)));
    NG_CHECK(ng_rw_add(r, "Max", 0, 2, gmax, ng_rw_tmp(r, "grow", grow, sizeof grow)));
    NG_CHECK(ng_rw_add(r, "Div", 0, 2, ghalf, ng_rw_tmp(r, "before", before, sizeof before)));
    NG_CHECK(ng_rw_add(r, "Sub", 0, 2, gsub, ng_rw_tmp(r, "after", after, sizeof after)));
    const char *cat[] = {before, after};
    NG_CHECK(ng_rw_add(r, "Concat", 0, 2, cat, ng_rw_tmp(r, "pads", pads, sizeof pads)));
    NG_CHECK(nngpu_graph_set_attr_int(r->g, "axis", 0));
    const char *pad[] = {cut, pads, "", axes};
    return ng_rw_add(r, "Pad", 1, axes_attr ? 4 : 2, pad, ng_rw_output(r, 0));
}

static const struct {
    const char *op_type;
    nngpu_status (*rewrite)(ng_onnx_rewrite *r);
} FUNCTION_OPS[] = {{"MeanVarianceNormalization", mvn},
                    {"LpNormalization", lp_normalization},
                    {"ReduceLogSum", reduce_log_sum},
                    {"Scatter", scatter},
                    {"RMSNormalization", rms_normalization},
                    {"SimplifiedLayerNormalization", rms_normalization},
                    {"Swish", swish},
                    {"SwiGLU", swiglu},
                    {"Compress", compress},
                    {"CenterCropPad", center_crop_pad},
                    /* onnx_loss_ops.c */
                    {"NegativeLogLikelihoodLoss", ng_onnx_nll_loss},
                    {"SoftmaxCrossEntropyLoss", ng_onnx_sce_loss},
                    /* sequences whose elements are known at import (onnx_sequence.c) */
                    {"SplitToSequence", ng_onnx_sequence_source},
                    {"SequenceConstruct", ng_onnx_sequence_source},
                    {"SequenceEmpty", ng_onnx_sequence_source},
                    {"SequenceInsert", ng_onnx_sequence_source},
                    {"SequenceErase", ng_onnx_sequence_source},
                    {"SequenceAt", ng_onnx_sequence_reader},
                    {"ConcatFromSequence", ng_onnx_sequence_reader},
                    {"SequenceLength", ng_onnx_sequence_reader}};

int ng_onnx_is_function_op(const char *op_type) {
    for (size_t i = 0; i < sizeof FUNCTION_OPS / sizeof *FUNCTION_OPS; i++)
        if (strcmp(FUNCTION_OPS[i].op_type, op_type) == 0) return 1;
    return 0;
}

nngpu_status ng_onnx_add_function_node(ng_onnx_rewrite *r) {
    for (size_t i = 0; i < sizeof FUNCTION_OPS / sizeof *FUNCTION_OPS; i++)
        if (strcmp(FUNCTION_OPS[i].op_type, r->nd->op_type) == 0) return FUNCTION_OPS[i].rewrite(r);
    return ng_error(NNGPU_ERR_INTERNAL, "node '%s': no rewrite for %s", r->name, r->nd->op_type);
}
