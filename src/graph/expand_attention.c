/* ONNX Attention (opsets 23-25) as standard ops, its input shapes known:
 *   Q, K, V  [B, S, heads * D] (3-D: q_num_heads, kv_num_heads) or [B, heads, S, D]
 *   K, V     = Concat(past, K / V) along the sequence: present_key / present_value
 *   GQA      kv head h / (qH / kvH) serves q head h (K, V repeated per group)
 *   S        = MatMul(Q, K^T) * scale  [softcap: softcap * Tanh(S / softcap)]
 *   bias     = attn_mask (bool: 0 / -inf; shorter than the keys: -inf after it)
 *            + causal / sliding window: query i (at i + offset) sees key j when
 *              j <= i + offset (causal), i + offset - j <= left, j - i - offset <= right;
 *              offset = past length, or nonpad_kv_seqlen[b] - q_len
 *            + padding: keys from nonpad_kv_seqlen[b] on are -inf
 *   P        = Softmax(S + bias); a row whose bias is all -inf gets zeros (the
 *              reference's rule): Softmax(Max(S + bias, -big)) * keep, where
 *              keep = Exp(Min(rowmax(bias) + big, 0)) is 0 exactly for those rows
 *   Y        = P V, heads joined again for 3-D inputs
 *   qk_matmul_output: S (modes 0, 1), S + bias (2) or P (3), as the reference.
 * softmax_precision is ignored (float inputs compute in float). Everything
 * but the nonpad_kv_seqlen comparisons runs as device kernels.
 * Spec: onnx/defs/nn/defs.cc; reference: onnx/reference/ops/op_attention.py. */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "core/status.h"
#include "expand.h"

typedef struct attention {
    const char *name;
    int q, k, v, mask, past_k, past_v, nonpad; /* inputs, -1 when absent */
    int y, present_k, present_v, qk_out;       /* outputs, -1 when absent */
    nngpu_dtype dt;
    int rank;
    int64_t B, Sq, Skv, past, total, qH, kvH, D, Dv;
    float scale, softcap;
    int causal, mode;
    int64_t left, right; /* sliding window, -1: unbounded */
} attention;

static int slot(int n, const int *v, int k) { return k < n ? v[k] : -1; }

static nngpu_status bad(const attention *a, const char *what) {
    return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s' (Attention): %s", a->name, what);
}

static nngpu_status parse(const ng_graph *g, const ng_node *n, attention *a) {
    a->name = n->name;
    a->q = slot(n->n_in, n->in, 0), a->k = slot(n->n_in, n->in, 1), a->v = slot(n->n_in, n->in, 2);
    a->mask = slot(n->n_in, n->in, 3), a->past_k = slot(n->n_in, n->in, 4);
    a->past_v = slot(n->n_in, n->in, 5), a->nonpad = slot(n->n_in, n->in, 6);
    a->y = slot(n->n_out, n->out, 0), a->present_k = slot(n->n_out, n->out, 1);
    a->present_v = slot(n->n_out, n->out, 2), a->qk_out = slot(n->n_out, n->out, 3);
    if (a->q < 0 || a->k < 0 || a->v < 0 || a->y < 0) return bad(a, "Q, K, V and Y are required");
    const ng_tensor *Q = &g->tensors[a->q], *K = &g->tensors[a->k], *V = &g->tensors[a->v];
    a->dt = Q->dtype;
    if ((a->dt != NNGPU_DTYPE_FLOAT32 && a->dt != NNGPU_DTYPE_FLOAT16) || K->dtype != a->dt ||
        V->dtype != a->dt)
        return bad(a, "Q, K and V must all be float32 or all float16");
    a->rank = Q->rank;
    if ((a->rank != 3 && a->rank != 4) || K->rank != a->rank || V->rank != a->rank)
        return bad(a, "Q, K and V must all be 3-D or all 4-D");
    a->B = Q->dims[0];
    if (a->rank == 3) {
        a->qH = ng_attr_int(n, "q_num_heads", 0), a->kvH = ng_attr_int(n, "kv_num_heads", 0);
        if (a->qH < 1 || a->kvH < 1) return bad(a, "3-D inputs need q_num_heads and kv_num_heads");
        if (Q->dims[2] % a->qH || K->dims[2] % a->kvH || V->dims[2] % a->kvH)
            return bad(a, "a hidden size is not a multiple of its head count");
        a->D = Q->dims[2] / a->qH, a->Dv = V->dims[2] / a->kvH;
        a->Sq = Q->dims[1], a->Skv = K->dims[1];
        if (K->dims[2] / a->kvH != a->D || V->dims[1] != a->Skv)
            return bad(a, "K's head size differs from Q's, or K and V differ in length");
    } else {
        a->qH = Q->dims[1], a->kvH = K->dims[1], a->D = Q->dims[3], a->Dv = V->dims[3];
        a->Sq = Q->dims[2], a->Skv = K->dims[2];
        if (K->dims[3] != a->D || V->dims[1] != a->kvH || V->dims[2] != a->Skv)
            return bad(a, "K's head size differs from Q's, or K and V differ in heads or length");
    }
    if (K->dims[0] != a->B || V->dims[0] != a->B) return bad(a, "Q, K and V differ in batch size");
    if (a->kvH < 1 || a->qH % a->kvH) return bad(a, "q heads are not a multiple of kv heads");
    if ((a->past_k < 0) != (a->past_v < 0)) return bad(a, "past_key and past_value go together");
    if (a->past_k >= 0) {
        const ng_tensor *pk = &g->tensors[a->past_k], *pv = &g->tensors[a->past_v];
        if (pk->rank != 4 || pv->rank != 4 || pk->dtype != a->dt || pv->dtype != a->dt ||
            pk->dims[0] != a->B || pk->dims[1] != a->kvH || pk->dims[3] != a->D ||
            pv->dims[0] != a->B || pv->dims[1] != a->kvH || pv->dims[2] != pk->dims[2] ||
            pv->dims[3] != a->Dv)
            return bad(a, "past_key / past_value must be [batch, kv heads, past length, head size]");
        a->past = pk->dims[2];
    }
    if (a->nonpad >= 0) {
        const ng_tensor *np = &g->tensors[a->nonpad];
        if (a->past_k >= 0) return bad(a, "nonpad_kv_seqlen does not go with past_key");
        if (np->dtype != NNGPU_DTYPE_INT64 || np->rank != 1 || np->dims[0] != a->B)
            return bad(a, "nonpad_kv_seqlen must be int64 [batch]");
    }
    a->total = a->past + a->Skv;
    if (a->mask >= 0) {
        const ng_tensor *m = &g->tensors[a->mask];
        if ((m->dtype != NNGPU_DTYPE_BOOL && m->dtype != a->dt) || m->rank < 1 || m->rank > 4 ||
            m->dims[m->rank - 1] > a->total)
            return bad(a, "attn_mask must be bool or Q's type, rank 1-4, at most as long as the keys");
    }
    const ng_attr *sc = ng_attr_find(n, "scale");
    a->scale = sc ? sc->f : 1.0f / sqrtf((float)a->D);
    a->softcap = ng_attr_float(n, "softcap", 0.0f);
    a->causal = ng_attr_int(n, "is_causal", 0) != 0;
    a->mode = (int)ng_attr_int(n, "qk_matmul_output_mode", 0);
    a->left = ng_attr_int(n, "left_window_size", -1), a->right = ng_attr_int(n, "right_window_size", -1);
    if (a->mode < 0 || a->mode > 3) return bad(a, "qk_matmul_output_mode must be 0-3");
    if (a->left < -1 || a->right < -1) return bad(a, "window sizes must be -1 or at least 0");
    return NNGPU_OK;
}

/* x as [B, heads, S, d] (3-D inputs: split into heads). */
static int heads(ng_builder *e, const attention *a, int x, int64_t S, int64_t h, int64_t d) {
    if (a->rank == 4) return x;
    const int64_t split[4] = {a->B, S, h, d}, perm[4] = {0, 2, 1, 3};
    return ng_nb_transpose(e, ng_nb_reshape(e, x, 4, split), 4, perm, -1);
}

/* [B, kvH, S, d] as [B, qH, S, d], each kv head serving qH / kvH q heads. */
static int repeat_heads(ng_builder *e, const attention *a, int x, int64_t d) {
    if (a->qH == a->kvH) return x;
    const int64_t grouped[5] = {a->B, a->kvH, 1, a->total, d};
    const int64_t wide[5] = {a->B, a->kvH, a->qH / a->kvH, a->total, d};
    const int64_t joined[4] = {a->B, a->qH, a->total, d};
    int rep = ng_nb_binary(e, NG_OP_EXPAND, ng_nb_reshape(e, x, 5, grouped), ng_nb_ints(e, "repeats", 5, wide), -1);
    return ng_nb_reshape(e, rep, 4, joined);
}

/* K or V with the past before it, written to `present` when that is an output. */
int ng_expand_with_past(ng_builder *e, int past, int x, int present) {
    if (past >= 0) return ng_nb_concat(e, past, x, 2, present);
    if (present >= 0) ng_nb_unary(e, NG_OP_IDENTITY, x, present);
    return x;
}

/* 0 where allowed, -inf elsewhere, as a's dtype. */
static int additive(ng_builder *e, const attention *a, int allowed) {
    const int in[3] = {allowed, ng_nb_scalar(e, "zero", a->dt, 0.0f), ng_nb_scalar(e, "neg_inf", a->dt, -INFINITY)};
    return ng_nb_node(e, NG_OP_WHERE, "Where", 3, in, -1);
}

static int sum(ng_builder *e, int acc, int x) { return acc < 0 ? x : ng_nb_binary(e, NG_OP_ADD, acc, x, -1); }

/* The causal / window bias [Sq, total] for a scalar offset, as a constant;
 * *full: some row allows no key. -1 when there is none. */
static int static_window(ng_builder *e, const attention *a, int *full) {
    if (!a->causal && a->left < 0 && a->right < 0) return -1;
    float *b = malloc(sizeof *b * (size_t)(a->Sq * a->total > 0 ? a->Sq * a->total : 1));
    if (!b) return e->ok = 0, -1;
    for (int64_t i = 0; i < a->Sq; i++) {
        int64_t seen = 0;
        for (int64_t j = 0; j < a->total; j++) {
            int64_t diff = i + a->past - j;
            int ok = (!a->causal || diff >= 0) && (a->left < 0 || diff <= a->left) &&
                     (a->right < 0 || -diff <= a->right);
            b[i * a->total + j] = ok ? 0.0f : -INFINITY;
            seen += ok;
        }
        if (!seen && a->total) *full = 1;
    }
    const int64_t dims[2] = {a->Sq, a->total};
    int t = ng_nb_const_f(e, "window_bias", a->dt, 2, dims, b);
    free(b);
    return t;
}

/* With nonpad_kv_seqlen: the padding bias, plus the causal / window bias
 * whose offset is nonpad_kv_seqlen[b] - q_len, [B, 1, Sq or 1, total]. */
static int nonpad_bias(ng_builder *e, const attention *a) {
    const int64_t b111[4] = {a->B, 1, 1, 1}, col[2] = {a->Sq, 1};
    int64_t *idx = malloc(sizeof *idx * (size_t)((a->total > a->Sq ? a->total : a->Sq) + 1));
    if (!idx) return e->ok = 0, -1;
    for (int64_t j = 0; j < a->total || j < a->Sq; j++) idx[j] = j;
    int len = ng_nb_reshape(e, a->nonpad, 4, b111);
    int keys = ng_nb_ints(e, "key_positions", (int)a->total, idx);
    int bias = additive(e, a, ng_nb_binary(e, NG_OP_LESS, keys, len, -1));
    if (a->causal || a->left >= 0 || a->right >= 0) {
        int queries = ng_nb_i64(e, "query_positions", 2, col, idx);
        int offset = ng_nb_binary(e, NG_OP_SUB, len, ng_nb_i64(e, "q_len", 0, NULL, &a->Sq), -1);
        int diff = ng_nb_binary(e, NG_OP_SUB, ng_nb_binary(e, NG_OP_ADD, queries, offset, -1), keys, -1);
        int allowed = -1;
        if (a->causal) allowed = ng_nb_binary(e, NG_OP_GREATEROREQUAL, diff, ng_nb_i64(e, "zero", 0, NULL, (int64_t[]){0}), -1);
        if (a->left >= 0) {
            int ok = ng_nb_binary(e, NG_OP_LESSOREQUAL, diff, ng_nb_i64(e, "left", 0, NULL, &a->left), -1);
            allowed = allowed < 0 ? ok : ng_nb_binary(e, NG_OP_AND, allowed, ok, -1);
        }
        if (a->right >= 0) {
            int64_t neg = -a->right;
            int ok = ng_nb_binary(e, NG_OP_GREATEROREQUAL, diff, ng_nb_i64(e, "right", 0, NULL, &neg), -1);
            allowed = allowed < 0 ? ok : ng_nb_binary(e, NG_OP_AND, allowed, ok, -1);
        }
        bias = sum(e, bias, additive(e, a, allowed));
    }
    free(idx);
    return bias;
}

/* attn_mask as an additive bias as long as the keys. */
static int mask_bias(ng_builder *e, const attention *a, const ng_graph *g) {
    const ng_tensor *m = &g->tensors[a->mask];
    int rank = m->rank;
    int64_t short_by = a->total - m->dims[rank - 1];
    int bias = m->dtype == NNGPU_DTYPE_BOOL ? additive(e, a, a->mask) : a->mask;
    if (short_by <= 0) return bias;
    int64_t pads[8] = {0};
    pads[2 * rank - 1] = short_by; /* at the end of the last axis */
    const int in[3] = {bias, ng_nb_ints(e, "mask_pads", 2 * rank, pads), ng_nb_scalar(e, "neg_inf", a->dt, -INFINITY)};
    return ng_nb_node(e, NG_OP_PAD, "mask_padded", 3, in, -1);
}

nngpu_status ng_expand_attention(ng_builder *e, const ng_node *n) {
    attention a = {0};
    NG_CHECK(parse(e->g, n, &a));
    ng_graph *g = e->g;
    int dt_big = a.dt == NNGPU_DTYPE_FLOAT16;
    float big = dt_big ? 65504.0f : FLT_MAX;
    int q = heads(e, &a, a.q, a.Sq, a.qH, a.D);
    int k = ng_expand_with_past(e, a.past_k, heads(e, &a, a.k, a.Skv, a.kvH, a.D), a.present_k);
    int v = ng_expand_with_past(e, a.past_v, heads(e, &a, a.v, a.Skv, a.kvH, a.Dv), a.present_v);
    const int64_t to_kt[4] = {0, 1, 3, 2};
    int kt = ng_nb_transpose(e, repeat_heads(e, &a, k, a.D), 4, to_kt, -1);
    v = repeat_heads(e, &a, v, a.Dv);
    int s = ng_nb_binary(e, NG_OP_MUL, ng_nb_binary(e, NG_OP_MATMUL, q, kt, -1),
                         ng_nb_scalar(e, "scale", a.dt, a.scale), -1);
    if (a.softcap > 0) {
        int cap = ng_nb_scalar(e, "softcap", a.dt, a.softcap);
        s = ng_nb_binary(e, NG_OP_MUL, ng_nb_unary(e, NG_OP_TANH, ng_nb_binary(e, NG_OP_DIV, s, cap, -1), -1), cap, -1);
    }
    int guard = 0, bias = -1;
    if (a.mask >= 0) {
        bias = mask_bias(e, &a, g);
        /* nngpu's own finite_mask (MultiHeadAttention's float masks): no row all -inf */
        guard = g->tensors[a.mask].dtype == NNGPU_DTYPE_BOOL || !ng_attr_int(n, "finite_mask", 0);
    }
    if (a.nonpad >= 0) {
        bias = sum(e, bias, nonpad_bias(e, &a));
        guard = 1;
    } else {
        int win = static_window(e, &a, &guard);
        if (win >= 0) bias = sum(e, bias, win);
    }
    int sb = bias >= 0 ? ng_nb_binary(e, NG_OP_ADD, s, bias, -1) : s;
    int logits = guard ? ng_nb_binary(e, NG_OP_MAX, sb, ng_nb_scalar(e, "neg_big", a.dt, -big), -1) : sb;
    int p = ng_nb_unary(e, NG_OP_SOFTMAX, logits, -1);
    if (p >= 0) ng_nb_attr_int(e, "axis", -1);
    if (guard) {
        const int64_t last = -1;
        int rowmax = ng_nb_binary(e, NG_OP_REDUCEMAX, bias, ng_nb_ints(e, "last_axis", 1, &last), -1);
        int shifted = ng_nb_binary(e, NG_OP_ADD, rowmax, ng_nb_scalar(e, "big", a.dt, big), -1);
        int capped = ng_nb_binary(e, NG_OP_MIN, shifted, ng_nb_scalar(e, "zero", a.dt, 0.0f), -1);
        p = ng_nb_binary(e, NG_OP_MUL, p, ng_nb_unary(e, NG_OP_EXP, capped, -1), -1);
    }
    if (a.rank == 4) {
        ng_nb_binary(e, NG_OP_MATMUL, p, v, a.y);
    } else {
        const int64_t perm[4] = {0, 2, 1, 3}, joined[3] = {a.B, a.Sq, a.qH * a.Dv};
        int ctx = ng_nb_transpose(e, ng_nb_binary(e, NG_OP_MATMUL, p, v, -1), 4, perm, -1);
        ng_nb_binary(e, NG_OP_RESHAPE, ctx, ng_nb_ints(e, "joined", 3, joined), a.y);
    }
    if (a.qk_out >= 0) ng_nb_unary(e, NG_OP_IDENTITY, a.mode == 3 ? p : a.mode == 2 ? sb : s, a.qk_out);
    return NNGPU_OK;
}
