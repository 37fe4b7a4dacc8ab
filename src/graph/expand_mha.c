/* onnxruntime's com.microsoft MultiHeadAttention (written by its transformers
 * optimizer for CLIP, ViT, BART, T5, Whisper, U-Net) as standard ops, its
 * input shapes known:
 *   query       [B, S, N * H]; or packed q, k, v [B, S, N, 3, H] (no key)
 *   key, value  [B, L, N * H] / [B, L, N * Hv]; packed [B, L, N, 2, H] (no
 *               value); or [B, N, L, H] each, heads split already (a
 *               cross-attention cache: no past, the bias's k and v parts unused)
 *   bias        [N * H + N * H + N * Hv], added to q, k and v
 *   past_key / past_value [B, N, P, H] go before k / v: present_key /
 *               present_value, T = P + L keys
 *   key_padding_mask (int32): [B] keys before mask[b] valid, or [B, T] /
 *               [B, S, T] with 0 for a masked key
 *   unidirectional: query s sees keys j <= P + s
 *   a masked score becomes mask_filter_value (not -inf: a row whose keys are
 *   all masked averages them, as onnxruntime's does); attention_bias
 *   [B or 1, N or 1, S, T] is added to the scores
 * -> the standard Attention (4-D, the mask as a float bias), heads joined:
 * [B, S, N * Hv]. Spec: onnxruntime docs/ContribOperators.md;
 * onnxruntime/contrib_ops/cpu/bert/multihead_attention_helper.h. */
#include <stdlib.h>

#include "core/status.h"
#include "expand.h"

enum { QUERY, KEY, VALUE, BIAS, PAD_MASK, ATT_BIAS, PAST_K, PAST_V };

typedef struct mha {
    const char *name;
    nngpu_dtype dt;
    int64_t B, S, L, P, T, N, H, Hv;
    int bias;
} mha;

static int in_at(const ng_node *n, int k) { return k < n->n_in ? n->in[k] : -1; }
static int out_at(const ng_node *n, int k) { return k < n->n_out ? n->out[k] : -1; }

static nngpu_status bad(const ng_node *n, const char *what) {
    return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s' (MultiHeadAttention): %s", n->name, what);
}

/* The part of the bias for slot k (0 q, 1 k, 2 v) as [N, d]; -1 when none. */
static int bias_part(ng_builder *e, const mha *m, int k, int64_t d) {
    if (m->bias < 0) return -1;
    int64_t from = k * m->N * m->H;
    const int64_t shape[2] = {m->N, d};
    return ng_nb_reshape(e, ng_nb_slice(e, m->bias, 0, from, from + m->N * d), 2, shape);
}

/* x [B, len, N * d] (or packed [B, len, N, parts, d] at `part`) plus the
 * bias of slot k, as [B, N, len, d]. */
static int heads(ng_builder *e, const mha *m, int x, int part, int k, int64_t len, int64_t d) {
    const int64_t split[4] = {m->B, len, m->N, d}, perm[4] = {0, 2, 1, 3};
    if (part >= 0) x = ng_nb_slice(e, x, 3, part, part + 1);
    x = ng_nb_reshape(e, x, 4, split);
    int b = bias_part(e, m, k, d);
    if (b >= 0) x = ng_nb_binary(e, NG_OP_ADD, x, b, -1);
    return ng_nb_transpose(e, x, 4, perm, -1);
}

/* 1 for a key the padding mask keeps, else 0: [B, 1, S or 1, T]; -2 when the
 * mask's shape is none of onnxruntime's. */
static int kept_keys(ng_builder *e, const mha *m, int mask) {
    const ng_tensor *t = &e->g->tensors[mask];
    int rank = t->rank;
    int64_t d0 = rank > 0 ? t->dims[0] : -1, d1 = rank > 1 ? t->dims[1] : -1;
    int one = ng_nb_scalar(e, "one", m->dt, 1.0f), zero = ng_nb_scalar(e, "zero", m->dt, 0.0f);
    int f = ng_nb_binary(e, NG_OP_CASTLIKE, mask, zero, -1);
    const int64_t b111[4] = {m->B, 1, 1, 1}, b11t[4] = {m->B, 1, 1, m->T}, b1st[4] = {m->B, 1, m->S, m->T};
    if (rank == 1 && d0 == m->B) { /* key j < mask[b]: min(max(mask[b] - j, 0), 1) */
        float *j = malloc(sizeof *j * (size_t)(m->T > 0 ? m->T : 1));
        if (!j) return e->ok = 0, -1;
        for (int64_t k = 0; k < m->T; k++) j[k] = (float)k;
        int keys = ng_nb_const_f(e, "key_positions", m->dt, 1, &m->T, j);
        free(j);
        f = ng_nb_binary(e, NG_OP_SUB, ng_nb_reshape(e, f, 4, b111), keys, -1);
    } else if (rank == 2 && d0 == m->B && d1 == m->T) {
        f = ng_nb_reshape(e, f, 4, b11t);
    } else if (rank == 3 && d0 == m->B && d1 == m->S && t->dims[2] == m->T) {
        f = ng_nb_reshape(e, f, 4, b1st);
    } else {
        return -2;
    }
    const int in[3] = {f, zero, one};
    return ng_nb_node(e, NG_OP_CLIP, "kept", 3, in, -1);
}

/* 1 where query s sees key j (j <= P + s), [S, T]. */
static int causal_keys(ng_builder *e, const mha *m) {
    float *c = malloc(sizeof *c * (size_t)(m->S * m->T > 0 ? m->S * m->T : 1));
    if (!c) return e->ok = 0, -1;
    for (int64_t s = 0; s < m->S; s++)
        for (int64_t j = 0; j < m->T; j++) c[s * m->T + j] = j <= m->P + s ? 1.0f : 0.0f;
    const int64_t dims[2] = {m->S, m->T};
    int t = ng_nb_const_f(e, "causal", m->dt, 2, dims, c);
    free(c);
    return t;
}

static nngpu_status parse(const ng_graph *g, const ng_node *n, mha *m) {
    int q = in_at(n, QUERY), k = in_at(n, KEY), v = in_at(n, VALUE);
    if (q < 0 || out_at(n, 0) < 0) return bad(n, "query and the output are required");
    const ng_tensor *Q = &g->tensors[q];
    m->name = n->name, m->dt = Q->dtype, m->bias = in_at(n, BIAS);
    m->N = ng_attr_int(n, "num_heads", 0);
    if (m->dt != NNGPU_DTYPE_FLOAT32 && m->dt != NNGPU_DTYPE_FLOAT16) return bad(n, "query must be float32 or float16");
    if (m->N < 1) return bad(n, "num_heads must be at least 1");
    if ((in_at(n, PAST_K) < 0) != (in_at(n, PAST_V) < 0)) return bad(n, "past_key and past_value go together");
    m->B = Q->dims[0], m->S = Q->rank >= 2 ? Q->dims[1] : 0;
    const ng_tensor *K = k >= 0 ? &g->tensors[k] : NULL, *V = v >= 0 ? &g->tensors[v] : NULL;
    if (!K) {
        if (V || Q->rank != 5 || Q->dims[2] != m->N || Q->dims[3] != 3)
            return bad(n, "without key, query must be packed as [batch, sequence, heads, 3, head size]");
        m->H = m->Hv = Q->dims[4], m->L = m->S;
    } else {
        if (Q->rank != 3 || Q->dims[2] % m->N) return bad(n, "query must be [batch, sequence, heads * head size]");
        m->H = Q->dims[2] / m->N;
        if (K->dtype != m->dt || (V && V->dtype != m->dt)) return bad(n, "query, key and value differ in type");
        if (K->dims[0] != m->B || (V && V->dims[0] != m->B)) return bad(n, "query, key and value differ in batch");
        if (K->rank == 5) {
            if (V || K->dims[2] != m->N || K->dims[3] != 2 || K->dims[4] != m->H)
                return bad(n, "packed key must be [batch, length, heads, 2, head size], without value");
            m->L = K->dims[1], m->Hv = m->H;
        } else if (K->rank == 3) {
            if (!V || V->rank != 3 || K->dims[2] != m->N * m->H || V->dims[1] != K->dims[1] || V->dims[2] % m->N)
                return bad(n, "key and value must be [batch, length, heads * head size]");
            m->L = K->dims[1], m->Hv = V->dims[2] / m->N;
        } else if (K->rank == 4) {
            if (!V || V->rank != 4 || K->dims[1] != m->N || K->dims[3] != m->H || V->dims[1] != m->N ||
                V->dims[2] != K->dims[2])
                return bad(n, "4-D key and value must be [batch, heads, length, head size]");
            if (in_at(n, PAST_K) >= 0) return bad(n, "4-D key and value take no past");
            m->L = K->dims[2], m->Hv = V->dims[3];
        } else {
            return bad(n, "key must be 3-D, 4-D or 5-D");
        }
    }
    if (m->bias >= 0) {
        const ng_tensor *b = &g->tensors[m->bias];
        if (b->dtype != m->dt || b->rank != 1 || b->dims[0] != m->N * (2 * m->H + m->Hv))
            return bad(n, "bias must be [3 * hidden size] of query's type");
    }
    int pk = in_at(n, PAST_K);
    if (pk >= 0) {
        const ng_tensor *P = &g->tensors[pk], *PV = &g->tensors[in_at(n, PAST_V)];
        if (P->rank != 4 || PV->rank != 4 || P->dtype != m->dt || PV->dtype != m->dt || P->dims[0] != m->B ||
            P->dims[1] != m->N || P->dims[3] != m->H || PV->dims[0] != m->B || PV->dims[1] != m->N ||
            PV->dims[2] != P->dims[2] || PV->dims[3] != m->Hv)
            return bad(n, "past_key / past_value must be [batch, heads, past length, head size]");
        m->P = P->dims[2];
    }
    m->T = m->P + m->L;
    int ab = in_at(n, ATT_BIAS);
    if (ab >= 0) {
        const ng_tensor *A = &g->tensors[ab];
        if (A->dtype != m->dt || A->rank != 4 || (A->dims[0] != 1 && A->dims[0] != m->B) ||
            (A->dims[1] != 1 && A->dims[1] != m->N) || A->dims[2] != m->S || A->dims[3] != m->T)
            return bad(n, "attention_bias must be [batch or 1, heads or 1, sequence, total length]");
    }
    return NNGPU_OK;
}

nngpu_status ng_expand_mha(ng_builder *e, const ng_node *n) {
    mha m = {0};
    NG_CHECK(parse(e->g, n, &m));
    int q = in_at(n, QUERY), k = in_at(n, KEY), v = in_at(n, VALUE);
    int kr = k >= 0 ? e->g->tensors[k].rank : 0;
    int qh, kh, vh;
    if (k < 0) { /* packed [B, S, N, 3, H] */
        qh = heads(e, &m, q, 0, 0, m.S, m.H), kh = heads(e, &m, q, 1, 1, m.S, m.H), vh = heads(e, &m, q, 2, 2, m.S, m.H);
    } else {
        qh = heads(e, &m, q, -1, 0, m.S, m.H);
        if (kr == 5) {
            kh = heads(e, &m, k, 0, 1, m.L, m.H), vh = heads(e, &m, k, 1, 2, m.L, m.H);
        } else if (kr == 3) {
            kh = heads(e, &m, k, -1, 1, m.L, m.H), vh = heads(e, &m, v, -1, 2, m.L, m.Hv);
        } else { /* [B, N, L, H] as they are: the bias is q's only (onnxruntime's) */
            kh = k, vh = v;
        }
    }
    kh = ng_expand_with_past(e, in_at(n, PAST_K), kh, out_at(n, 1));
    vh = ng_expand_with_past(e, in_at(n, PAST_V), vh, out_at(n, 2));

    int kept = -1;
    if (in_at(n, PAD_MASK) >= 0 && (kept = kept_keys(e, &m, in_at(n, PAD_MASK))) == -2)
        return bad(n, "key_padding_mask must be [batch], [batch, total length] or [batch, sequence, total length]");
    if (ng_attr_int(n, "unidirectional", 0)) {
        int c = causal_keys(e, &m);
        kept = kept < 0 ? c : ng_nb_binary(e, NG_OP_MUL, kept, c, -1);
    }
    int mask = -1;
    if (kept >= 0) { /* (1 - kept) * mask_filter_value */
        float filter = ng_attr_float(n, "mask_filter_value", -10000.0f);
        int dropped = ng_nb_binary(e, NG_OP_SUB, ng_nb_scalar(e, "one", m.dt, 1.0f), kept, -1);
        mask = ng_nb_binary(e, NG_OP_MUL, dropped, ng_nb_scalar(e, "mask_filter_value", m.dt, filter), -1);
    }
    int ab = in_at(n, ATT_BIAS);
    if (ab >= 0) mask = mask < 0 ? ab : ng_nb_binary(e, NG_OP_ADD, mask, ab, -1);

    const int in[4] = {qh, kh, vh, mask};
    int y = ng_nb_node(e, NG_OP_ATTENTION, "Attention", mask >= 0 ? 4 : 3, in, -1);
    if (y >= 0) {
        float scale = ng_attr_float(n, "scale", 0.0f);
        if (scale != 0.0f) ng_nb_attr_float(e, "scale", scale);
        ng_nb_attr_int(e, "finite_mask", 1); /* no row of the mask is all -inf: no guard */
    }
    const int64_t perm[4] = {0, 2, 1, 3}, joined[3] = {m.B, m.S, m.N * m.Hv};
    int ctx = ng_nb_transpose(e, y, 4, perm, -1);
    ng_nb_binary(e, NG_OP_RESHAPE, ctx, ng_nb_ints(e, "joined", 3, joined), out_at(n, 0));
    return NNGPU_OK;
}
