/* Shape inference: LSTM, GRU, RNN (ONNX opsets 7-22; layout from opset 14) and
 * the internal Recurrence they become (ops.def). */
#include <string.h>

#include "infer_internal.h"

#define ERR(...) ng_infer_err(n, __VA_ARGS__)

typedef struct act_info {
    const char *name;
    ng_rnn_act act;
    int n_params;          /* alpha, beta consumed from the lists, in order */
    float alpha, beta;     /* defaults */
} act_info;

static const act_info ACTS[] = {
    {"Sigmoid", NG_RNN_SIGMOID, 0, 0, 0},          {"Tanh", NG_RNN_TANH, 0, 0, 0},
    {"Relu", NG_RNN_RELU, 0, 0, 0},                {"HardSigmoid", NG_RNN_HARDSIGMOID, 2, 0.2f, 0.5f},
    {"LeakyRelu", NG_RNN_LEAKYRELU, 1, 0.01f, 0},  {"ThresholdedRelu", NG_RNN_THRESHOLDEDRELU, 1, 1.0f, 0},
    {"ScaledTanh", NG_RNN_SCALEDTANH, 2, 1.0f, 1.0f}, {"Affine", NG_RNN_AFFINE, 2, 1.0f, 0},
    {"Elu", NG_RNN_ELU, 1, 1.0f, 0},               {"Softsign", NG_RNN_SOFTSIGN, 0, 0, 0},
    {"Softplus", NG_RNN_SOFTPLUS, 0, 0, 0},
};

static const act_info *find_act(const char *s, size_t len) {
    for (size_t i = 0; i < sizeof ACTS / sizeof *ACTS; i++)
        if (strlen(ACTS[i].name) == len && strncmp(ACTS[i].name, s, len) == 0) return &ACTS[i];
    return NULL;
}

/* attribute "activations" (imported as one comma-separated string), with the
 * alpha/beta lists consumed in order by the activations that take them. */
static nngpu_status parse_acts(const ng_node *n, ng_rnn *r) {
    static const char *defaults[] = {"", "Tanh", "Sigmoid,Tanh", "Sigmoid,Tanh,Tanh"};
    const char *s = ng_attr_string(n, "activations", defaults[r->n_act]);
    const ng_attr *al = ng_attr_find(n, "activation_alpha"), *be = ng_attr_find(n, "activation_beta");
    int na = al && al->type == NG_ATTR_FLOATS ? al->n : 0, nb = be && be->type == NG_ATTR_FLOATS ? be->n : 0;
    int count = 0, ia = 0, ib = 0;
    const act_info *list[6];
    for (const char *p = s; *p;) {
        size_t len = strcspn(p, ",");
        const act_info *a = find_act(p, len);
        if (!a) return ERR(NNGPU_ERR_UNSUPPORTED, "activation '%.*s' is not supported", (int)len, p);
        if (count == 6) return ERR(NNGPU_ERR_INVALID_ARG, "too many activations");
        list[count++] = a;
        p += len + (p[len] == ',');
    }
    if (count != r->n_act && count != r->n_act * r->dirs)
        return ERR(NNGPU_ERR_INVALID_ARG, "%d activations, expected %d per direction", count, r->n_act);
    for (int k = 0; k < r->n_act * r->dirs; k++) {
        const act_info *a = list[k % count];
        int d = k / r->n_act, j = k % r->n_act;
        r->act[d][j] = a->act;
        r->alpha[d][j] = a->alpha;
        r->beta[d][j] = a->beta;
        if (k >= count) { /* one list for both directions: same parameters */
            r->alpha[d][j] = r->alpha[0][j];
            r->beta[d][j] = r->beta[0][j];
            continue;
        }
        if (a->n_params >= 1 && ia < na) r->alpha[d][j] = al->floats[ia++];
        if (a->n_params >= 2 && ib < nb) r->beta[d][j] = be->floats[ib++];
    }
    return NNGPU_OK;
}

/* Input i (optional) must have exactly the given dims. */
static nngpu_status check_dims(const ng_graph *g, const ng_node *n, int i, const char *what, int rank,
                               const int64_t *dims) {
    const ng_tensor *t = ng_infer_opt(g, n, i);
    if (!t) return NNGPU_OK;
    int ok = t->rank == rank;
    for (int k = 0; ok && k < rank; k++) ok = t->dims[k] == dims[k];
    if (!ok) return ERR(NNGPU_ERR_INVALID_ARG, "%s '%s' has the wrong shape", what, t->name);
    return NNGPU_OK;
}

nngpu_status ng_infer_rnn(const ng_graph *g, const ng_node *n, ng_rnn *r) {
    memset(r, 0, sizeof *r);
    r->projected = n->op == NG_OP_RECURRENCE;
    r->gates = r->projected ? (int)ng_attr_int(n, "gates", 0) : n->op == NG_OP_LSTM ? 4 : n->op == NG_OP_GRU ? 3 : 1;
    if (r->gates != 1 && r->gates != 3 && r->gates != 4) return ERR(NNGPU_ERR_INVALID_ARG, "gates must be 1, 3 or 4");
    r->n_act = r->gates == 4 ? 3 : r->gates == 3 ? 2 : 1;
    const char *dir = ng_attr_string(n, "direction", "forward");
    if (strcmp(dir, "bidirectional") == 0)
        r->dirs = 2;
    else if (strcmp(dir, "forward") == 0 || strcmp(dir, "reverse") == 0)
        r->dirs = 1, r->reverse = dir[0] == 'r';
    else
        return ERR(NNGPU_ERR_INVALID_ARG, "direction '%s'", dir);
    r->layout = (int)ng_attr_int(n, "layout", 0);
    r->clip = ng_attr_float(n, "clip", 0.0f);
    r->linear_before_reset = (int)ng_attr_int(n, "linear_before_reset", 0);
    r->input_forget = (int)ng_attr_int(n, "input_forget", 0);
    if ((r->layout != 0 && r->layout != 1) || r->clip < 0)
        return ERR(NNGPU_ERR_INVALID_ARG, "layout must be 0 or 1 and clip >= 0");
    const ng_tensor *x, *w, *rr;
    NG_CHECK(ng_infer_need(g, n, 0, &x));
    if (!r->projected) NG_CHECK(ng_infer_need(g, n, 1, &w));
    NG_CHECK(ng_infer_need(g, n, 2, &rr));
    if (r->projected) w = rr;
    if (x->dtype != NNGPU_DTYPE_FLOAT32 && x->dtype != NNGPU_DTYPE_FLOAT64)
        return ERR(NNGPU_ERR_UNSUPPORTED, "input '%s' is %s", x->name, nngpu_dtype_name(x->dtype));
    if (x->rank != 3 || w->rank != 3 || rr->rank != 3)
        return ERR(NNGPU_ERR_INVALID_ARG, "X, W and R must have rank 3");
    r->seq = x->dims[r->layout];
    r->batch = x->dims[1 - r->layout];
    r->input = x->dims[2];
    r->hidden = ng_attr_int(n, "hidden_size", rr->dims[r->projected ? 1 : 2]);
    int64_t gh = r->gates * r->hidden, bd[] = {r->dirs, 2 * gh}, pd[] = {r->dirs, 3 * r->hidden};
    int64_t hd[3] = {r->dirs, r->batch, r->hidden}, sd[] = {r->batch};
    if (r->layout) hd[0] = r->batch, hd[1] = r->dirs;
    if (r->projected) {
        if (r->input != r->dirs * gh) return ERR(NNGPU_ERR_INVALID_ARG, "X . W^T must have dirs*gates*hidden columns");
        NG_CHECK(check_dims(g, n, 2, "R^T", 3, (int64_t[]){r->dirs, r->hidden, gh}));
    } else {
        NG_CHECK(check_dims(g, n, 1, "W", 3, (int64_t[]){r->dirs, gh, r->input}));
        NG_CHECK(check_dims(g, n, 2, "R", 3, (int64_t[]){r->dirs, gh, r->hidden}));
    }
    NG_CHECK(check_dims(g, n, 3, "B", 2, bd));
    NG_CHECK(check_dims(g, n, 4, "sequence_lens", 1, sd));
    NG_CHECK(check_dims(g, n, 5, "initial_h", 3, hd));
    if (r->gates == 4) {
        NG_CHECK(check_dims(g, n, 6, "initial_c", 3, hd));
        NG_CHECK(check_dims(g, n, 7, "P", 2, pd));
    }
    const ng_tensor *sl = ng_infer_opt(g, n, 4);
    if (sl && sl->dtype != NNGPU_DTYPE_INT32)
        return ERR(NNGPU_ERR_INVALID_ARG, "sequence_lens '%s' must be int32", sl->name);
    for (int i = 1; i < n->n_in; i++) {
        const ng_tensor *t = ng_infer_opt(g, n, i);
        if (t && i != 4 && t->dtype != x->dtype)
            return ERR(NNGPU_ERR_INVALID_ARG, "input '%s' is not %s like X", t->name, nngpu_dtype_name(x->dtype));
    }
    return parse_acts(n, r);
}

static nngpu_status infer_rnn(ng_graph *g, ng_node *n) {
    ng_rnn r;
    NG_CHECK(ng_infer_rnn(g, n, &r));
    nngpu_dtype dt = ng_in(g, n, 0)->dtype;
    int64_t y[4] = {r.seq, r.dirs, r.batch, r.hidden}, h[3] = {r.dirs, r.batch, r.hidden};
    if (r.layout) {
        y[0] = r.batch, y[1] = r.seq, y[2] = r.dirs;
        h[0] = r.batch, h[1] = r.dirs;
    }
    ng_infer_set_out(g, n, 0, dt, 4, y);
    for (int i = 1; i < n->n_out; i++) ng_infer_set_out(g, n, i, dt, 3, h);
    return NNGPU_OK;
}

int ng_infer_rnn_op(ng_graph *g, ng_node *n, nngpu_status *st) {
    if (n->op != NG_OP_LSTM && n->op != NG_OP_GRU && n->op != NG_OP_RNN && n->op != NG_OP_RECURRENCE) return 0;
    *st = infer_rnn(g, n);
    return 1;
}
