/* BatchNormalization with training_mode=1 as standard ops: the statistics of
 * the batch itself, per channel over every axis but 1 (population variance),
 *   mean = ReduceMean(X), d = X - mean, var = ReduceMean(d * d)
 *   Y = d / Sqrt(var + epsilon) * scale + B          (scale, B as [C, 1, ...])
 *   running_mean = input_mean * momentum + mean * (1 - momentum), running_var
 *   likewise from var (outputs 1 and 2, when asked for).
 * Exporters emit it for weight standardization (BiT's StdConv2d normalizes
 * the constant weights: it folds) and for modules left in training mode.
 * Reference: onnx/reference/ops/op_batch_normalization.py. */
#include "core/status.h"
#include "expand.h"

static nngpu_status bad(const ng_node *n, const char *what) {
    return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s' (BatchNormalization): %s", n->name, what);
}

/* t * momentum + stat (kept [1, C, 1, ...]) as [C] * (1 - momentum) into out. */
static void running(ng_builder *e, int t, int stat, int64_t C, float momentum, nngpu_dtype dt,
                    int out) {
    int now = ng_nb_reshape(e, stat, 1, &C);
    int kept = ng_nb_binary(e, NG_OP_MUL, t, ng_nb_scalar(e, "momentum", dt, momentum), -1);
    int fresh = ng_nb_binary(e, NG_OP_MUL, now, ng_nb_scalar(e, "1-momentum", dt, 1.0f - momentum), -1);
    ng_nb_binary(e, NG_OP_ADD, kept, fresh, out);
}

nngpu_status ng_expand_bn_training(ng_builder *e, const ng_node *n) {
    ng_graph *g = e->g;
    if (n->n_in < 5 || n->n_out < 1 || n->out[0] < 0) return bad(n, "needs X, scale, B, input_mean, input_var and Y");
    for (int i = 0; i < 5; i++)
        if (n->in[i] < 0) return bad(n, "needs X, scale, B, input_mean, input_var and Y");
    const ng_tensor *X = &g->tensors[n->in[0]];
    nngpu_dtype dt = X->dtype;
    if (dt != NNGPU_DTYPE_FLOAT32 && dt != NNGPU_DTYPE_FLOAT16) return bad(n, "X must be float32 or float16");
    if (X->rank < 2) return bad(n, "X must have a channel axis");
    int rank = X->rank;
    int64_t C = X->dims[1], axes[NNGPU_MAX_DIMS], per_channel[NNGPU_MAX_DIMS];
    for (int i = 1; i < 5; i++) {
        const ng_tensor *p = &g->tensors[n->in[i]];
        if (p->rank != 1 || p->dims[0] != C) return bad(n, "scale, B, input_mean and input_var must be [C]");
    }
    int n_axes = 0;
    for (int a = 0; a < rank; a++)
        if (a != 1) axes[n_axes++] = a;
    per_channel[0] = C; /* [C, 1, ...]: broadcast against [N, C, ...] */
    for (int a = 1; a < rank - 1; a++) per_channel[a] = 1;
    float eps = ng_attr_float(n, "epsilon", 1e-5f), momentum = ng_attr_float(n, "momentum", 0.9f);
    int x = n->in[0];
    int axes_t = ng_nb_ints(e, "axes", n_axes, axes);
    int mean_in[2] = {x, axes_t};
    int mean = ng_nb_node(e, NG_OP_REDUCEMEAN, "mean", 2, mean_in, -1);
    int d = ng_nb_binary(e, NG_OP_SUB, x, mean, -1);
    int var_in[2] = {ng_nb_binary(e, NG_OP_MUL, d, d, -1), axes_t};
    int var = ng_nb_node(e, NG_OP_REDUCEMEAN, "var", 2, var_in, -1);
    int sd = ng_nb_unary(e, NG_OP_SQRT, ng_nb_binary(e, NG_OP_ADD, var, ng_nb_scalar(e, "epsilon", dt, eps), -1), -1);
    int scaled = ng_nb_binary(e, NG_OP_MUL, ng_nb_binary(e, NG_OP_DIV, d, sd, -1),
                              ng_nb_reshape(e, n->in[1], rank - 1, per_channel), -1);
    ng_nb_binary(e, NG_OP_ADD, scaled, ng_nb_reshape(e, n->in[2], rank - 1, per_channel), n->out[0]);
    if (n->n_out > 1 && n->out[1] >= 0) running(e, n->in[3], mean, C, momentum, dt, n->out[1]);
    if (n->n_out > 2 && n->out[2] >= 0) running(e, n->in[4], var, C, momentum, dt, n->out[2]);
    return NNGPU_OK;
}
