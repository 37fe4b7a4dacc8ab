/* The ONNX loss functions, rewritten at import into the ops their function
 * bodies stand for (so evaluation graphs that keep their loss run whole):
 *   NegativeLogLikelihoodLoss(X [N, C, d...], T [N, d...] [, W [C]];
 *                             reduction = mean, ignore_index)
 *       t      = Where(T == ignore_index, 0, T)        (only with ignore_index)
 *       w      = W[t] * (T != ignore_index)             (each factor only when given)
 *       loss   = -GatherElements(X, Unsqueeze(t, 1), axis 1)[:, 0] * w
 *       none: loss; sum: ReduceSum(loss); mean: ReduceSum(loss) / ReduceSum(w),
 *       or ReduceMean(loss) without w
 *   SoftmaxCrossEntropyLoss(scores, labels [, weights]; the same attributes)
 *       NegativeLogLikelihoodLoss(LogSoftmax(scores, axis 1), ...); output 2,
 *       when asked for, is that LogSoftmax (log_prob). */
#include <string.h>

#include "core/status.h"
#include "nngpu/graph.h"
#include "onnx_internal.h"

/* Reduction attribute: 0 none, 1 sum, 2 mean; -1 unknown (error set). */
static int reduction_of(const ng_onnx_rewrite *r) {
    const Onnx__AttributeProto *a = ng_rw_attr(r, "reduction");
    if (!a) return 2;
    static const char *const names[] = {"none", "sum", "mean"};
    for (int i = 0; i < 3; i++)
        if (a->s.len == strlen(names[i]) && !memcmp(a->s.data, names[i], a->s.len)) return i;
    ng_error(NNGPU_ERR_INVALID_ARG, "node '%s' (%s): unknown reduction '%.*s'", r->name,
             r->nd->op_type, (int)a->s.len, (const char *)a->s.data);
    return -1;
}

/* Op(ins) -> a fresh name "<node>/<what>" in buf (returned). */
static const char *step(ng_onnx_rewrite *r, const char *op, int n_in, const char **ins,
                        const char *what, char *buf, size_t cap) {
    if (r->failed) return buf;
    nngpu_status s = ng_rw_add(r, op, 0, n_in, ins, ng_rw_tmp(r, what, buf, cap));
    if (s != NNGPU_OK) r->failed = s;
    return buf;
}

static void set_axis(ng_onnx_rewrite *r, const char *attr, int64_t axis) {
    nngpu_status s = !strcmp(attr, "axis") ? nngpu_graph_set_attr_int(r->g, attr, axis)
                                           : nngpu_graph_set_attr_ints(r->g, attr, 1, &axis);
    if (s != NNGPU_OK && !r->failed) r->failed = s;
}

/* The loss of log-probabilities x against targets t (weights w, NULL: none)
 * into the node's output 0, the last node named as the rewritten one. */
static nngpu_status nll_of(ng_onnx_rewrite *r, const char *x, const char *t, const char *w) {
    int reduction = reduction_of(r);
    if (reduction < 0) return NNGPU_ERR_INVALID_ARG;
    const char *out = ng_rw_output(r, 0);
    char ii[600], iit_b[600], zero[600], zt_b[600], mask[600], safe[600], keep[600], keepx[600], tu[600], picked[600],
        col[600], wt[600], wk[600], prod[600], loss[600], total[600], wsum[600];
    const char *weight = NULL;
    if (ng_rw_attr(r, "ignore_index")) {
        int64_t ignore = ng_rw_attr_int(r, "ignore_index", 0), z = 0;
        NG_CHECK(ng_rw_i64(r, "ignore_index", 0, 1, &ignore, ii, sizeof ii));
        NG_CHECK(ng_rw_i64(r, "zero", 0, 1, &z, zero, sizeof zero));
        const char *like_ii[] = {ii, t}, *like_zero[] = {zero, t};
        const char *iit = step(r, "CastLike", 2, like_ii, "ignore_index_t", iit_b, sizeof iit_b);
        const char *zt = step(r, "CastLike", 2, like_zero, "zero_t", zt_b, sizeof zt_b);
        const char *eq[] = {t, iit};
        step(r, "Equal", 2, eq, "ignored", mask, sizeof mask);
        const char *where[] = {mask, zt, t};
        t = step(r, "Where", 3, where, "target", safe, sizeof safe);
        const char *m = mask;
        step(r, "Not", 1, &m, "kept", keep, sizeof keep);
        const char *like[] = {keep, x};
        weight = step(r, "CastLike", 2, like, "kept_weight", keepx, sizeof keepx);
    }
    step(r, "Unsqueeze", 1, &t, "target_column", tu, sizeof tu);
    set_axis(r, "axes", 1);
    const char *ge[] = {x, tu};
    step(r, "GatherElements", 2, ge, "picked", picked, sizeof picked);
    set_axis(r, "axis", 1);
    const char *pp = picked;
    const char *p = step(r, "Squeeze", 1, &pp, "picked_log_prob", col, sizeof col);
    set_axis(r, "axes", 1);
    if (w) {
        const char *g[] = {w, t};
        const char *wc = step(r, "Gather", 2, g, "class_weight", wt, sizeof wt);
        if (weight) {
            const char *mul[] = {wc, weight};
            weight = step(r, "Mul", 2, mul, "weight", wk, sizeof wk);
        } else {
            weight = wc;
        }
    }
    if (weight) {
        const char *mul[] = {p, weight};
        p = step(r, "Mul", 2, mul, "weighted", prod, sizeof prod);
    }
    NG_CHECK(r->failed);
    if (reduction == 0) return ng_rw_add(r, "Neg", 1, 1, &p, out);
    const char *neg = step(r, "Neg", 1, &p, "loss", loss, sizeof loss);
    if (reduction == 2 && !weight) {
        NG_CHECK(r->failed);
        NG_CHECK(ng_rw_add(r, "ReduceMean", 1, 1, &neg, out));
        return nngpu_graph_set_attr_int(r->g, "keepdims", 0);
    }
    if (reduction == 1) {
        NG_CHECK(r->failed);
        NG_CHECK(ng_rw_add(r, "ReduceSum", 1, 1, &neg, out));
        return nngpu_graph_set_attr_int(r->g, "keepdims", 0);
    }
    const char *sum = step(r, "ReduceSum", 1, &neg, "loss_sum", total, sizeof total);
    if (!r->failed) r->failed = nngpu_graph_set_attr_int(r->g, "keepdims", 0);
    const char *ws = step(r, "ReduceSum", 1, &weight, "weight_sum", wsum, sizeof wsum);
    if (!r->failed) r->failed = nngpu_graph_set_attr_int(r->g, "keepdims", 0);
    NG_CHECK(r->failed);
    const char *div[] = {sum, ws};
    return ng_rw_add(r, "Div", 1, 2, div, out);
}

static nngpu_status need_inputs(const ng_onnx_rewrite *r) {
    const Onnx__NodeProto *nd = r->nd;
    if (nd->n_input < 2 || nd->n_input > 3 || !ng_rw_input(r, 0) || !ng_rw_input(r, 1) ||
        !ng_rw_output(r, 0))
        return ng_error(NNGPU_ERR_PARSE, "node '%s' (%s): needs 2 or 3 inputs and an output",
                        r->name, nd->op_type);
    return NNGPU_OK;
}

nngpu_status ng_onnx_nll_loss(ng_onnx_rewrite *r) {
    NG_CHECK(need_inputs(r));
    return nll_of(r, ng_rw_input(r, 0), ng_rw_input(r, 1), ng_rw_input(r, 2));
}

nngpu_status ng_onnx_sce_loss(ng_onnx_rewrite *r) {
    NG_CHECK(need_inputs(r));
    char lp[600];
    const char *x = ng_rw_input(r, 0), *log_prob = ng_rw_output(r, 1);
    if (!log_prob) log_prob = ng_rw_tmp(r, "log_prob", lp, sizeof lp);
    /* over axis 1 alone: opset 13's LogSoftmax, whatever the model's opset */
    nngpu_graph_set_opset(r->g, 13);
    nngpu_status s = ng_rw_add(r, "LogSoftmax", 0, 1, &x, log_prob);
    if (s == NNGPU_OK) s = nngpu_graph_set_attr_int(r->g, "axis", 1);
    nngpu_graph_set_opset(r->g, r->opset);
    NG_CHECK(s);
    return nll_of(r, log_prob, ng_rw_input(r, 1), ng_rw_input(r, 2));
}
