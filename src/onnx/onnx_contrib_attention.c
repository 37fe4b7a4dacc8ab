/* onnxruntime's transformer fusions (written by onnxruntime.transformers'
 * optimizer, as Hugging Face Optimum uses it), rewritten at import into the
 * standard ops they fuse:
 *   EmbedLayerNormalization(ids, segment_ids, word, position, segment
 *       embeddings, gamma, beta, mask, position_ids)
 *     -> LayerNormalization(Gather(word, ids) + Gather(position, 0..S-1 or
 *        position_ids) + Gather(segment, segment_ids)); mask_index = the
 *        mask's row sums (int32)
 *        (no mask: zeros)
 *   Attention(x, W, bias, mask_index, past, attention_bias)
 *     -> q, k, v = Split(x W + bias) per head; k, v after past's [2, B, N,
 *        P, hd] (present: both stacked again); Softmax(q k^T * scale + mask
 *        + attention_bias) v, heads joined. The mask: a 1-D mask_index (valid
 *        keys before mask_index[b]) or a 2-D 0/1 mask over the P + S keys,
 *        masked scores get mask_filter_value; unidirectional masks keys
 *        after the query's position P + i too.
 * Not supported (an error naming the node): past_sequence_length, rotary
 * embeddings, 3-D and 4-D masks.
 * Specs: onnxruntime docs/ContribOperators.md. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/status.h"
#include "nngpu/graph.h"
#include "onnx_internal.h"
#include "onnx_rw_chain.h"

int ng_onnx_is_contrib_attention_op(const char *op_type) {
    return !strcmp(op_type, "Attention") || !strcmp(op_type, "EmbedLayerNormalization");
}

static nngpu_status unsupported(ng_onnx_rewrite *r, const char *what) {
    return r->failed = ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s' (%s): %s is not supported",
                                r->name, r->nd->op_type, what);
}

/* 0, 1, ..., n-1 (float32, or int64 when as_int) for n = dim `axis` of x. */
static const char *positions(ng_rw_chain *c, const char *x, int64_t axis, int as_int) {
    const char *n = NG_OP(c, "Gather", NG_OP(c, "Shape", x), ng_chain_int(c, axis));
    const char *rng = NG_OP(c, "Range", ng_chain_int(c, 0), n, ng_chain_int(c, 1));
    return as_int ? rng : ng_chain_cast(c, rng, 1);
}

/* The additive mask: mask_filter_value where (1 - valid) is 1; valid in [0, 1]. */
static const char *masked_add(ng_rw_chain *c, const char *valid, float filter) {
    return NG_OP(c, "Mul", NG_OP(c, "Sub", ng_chain_float(c, 1), valid), ng_chain_float(c, filter));
}

/* The constant 2-D weight's dims into d (from its initializer). */
static int weight_dims(const ng_onnx_rewrite *r, const char *w, int64_t d[2]) {
    int t = w ? ng_tensor_find(r->g, w) : -1;
    if (t < 0 || !ng_is_const(r->g, t) || r->g->tensors[t].rank != 2) return 0;
    d[0] = r->g->tensors[t].dims[0];
    d[1] = r->g->tensors[t].dims[1];
    return 1;
}

/* x with a new axis 0. */
static const char *unsqueeze0(ng_rw_chain *c, const char *x) {
    static const int64_t axis = 0;
    if (c->r->opset >= 13) return NG_OP(c, "Unsqueeze", x, ng_chain_ints(c, 1, &axis));
    const char *y = NG_OP(c, "Unsqueeze", x);
    ng_chain_attr_ints(c, "axes", 1, &axis);
    return y;
}

/* The additive attention mask ([B, 1, 1, T], [S, T] or [B, 1, S, T]
 * shaped) over the T keys of keys [B, N, T, hd], after `past` ones ("" when
 * none): mask_filter_value where the mask or, unidirectional, the query's
 * position drops the key (once: onnxruntime's rows without a key average
 * them all); "" for none, NULL on failure. */
static const char *attention_mask(ng_rw_chain *c, const char *x, const char *keys, const char *past,
                                  float filter) {
    ng_onnx_rewrite *r = c->r;
    const char *m = ng_rw_input(r, 3), *valid = NULL;
    static const int64_t to_b11t[4] = {0, 1, 1, -1}, col[2] = {-1, 1}, row[2] = {1, -1};
    const char *key_pos = ng_chain_reshape(c, positions(c, keys, 2, 0), 2, row);
    if (m) {
        int rank = ng_rw_rank(r, m);
        if (rank == 1) { /* keys before mask_index[b] */
            const char *end = ng_chain_reshape(c, ng_chain_cast(c, m, 1), 2, col);
            valid = ng_chain_clip(c, NG_OP(c, "Sub", end, key_pos), 0, 1);
        } else if (rank == 2) {
            valid = ng_chain_cast(c, m, 1);
        } else {
            unsupported(r, rank < 0 ? "a mask_index of unknown rank" : "a 3-D or 4-D mask_index");
            return NULL;
        }
        valid = ng_chain_reshape(c, valid, 4, to_b11t);
    }
    if (ng_rw_attr_int(r, "unidirectional", 0)) { /* key j of query i (at i + past) when j <= i + past */
        const char *q_pos = positions(c, x, 1, 0);
        if (*past) q_pos = NG_OP(c, "Add", q_pos, ng_chain_cast(c, ng_chain_dims(c, past, 3, 4), 1));
        const char *d_ij = NG_OP(c, "Sub", ng_chain_reshape(c, q_pos, 2, col), key_pos);
        const char *causal = ng_chain_clip(c, NG_OP(c, "Add", d_ij, ng_chain_float(c, 1)), 0, 1);
        valid = valid ? NG_OP(c, "Mul", valid, causal) : causal;
    }
    return valid ? masked_add(c, valid, filter) : "";
}

/* One of q, k, v ([B, S, N * hd]) as [B, N, S, hd]. */
static const char *heads(ng_rw_chain *c, const char *t, int64_t n, int64_t hd) {
    const int64_t dims[4] = {0, 0, n, hd}, perm[4] = {0, 2, 1, 3};
    return ng_chain_transpose(c, ng_chain_reshape(c, t, 4, dims), 4, perm);
}

static nngpu_status attention(ng_onnx_rewrite *r) {
    const char *x = ng_rw_input(r, 0), *w = ng_rw_input(r, 1), *bias = ng_rw_input(r, 2);
    const char *y = ng_rw_output(r, 0);
    if (!x || !w || !y)
        return ng_error(NNGPU_ERR_PARSE, "node '%s' (Attention): an input or the output is missing",
                        r->name);
    if (ng_rw_input(r, 6)) return unsupported(r, "past_sequence_length");
    if (ng_rw_attr_int(r, "do_rotary", 0)) return unsupported(r, "do_rotary");
    int64_t n = ng_rw_attr_int(r, "num_heads", 0), wd[2], hs[3];
    if (n < 1)
        return ng_error(NNGPU_ERR_PARSE, "node '%s' (Attention): num_heads is missing", r->name);
    if (!weight_dims(r, w, wd)) return unsupported(r, "a weight that is not a constant 2-D tensor");
    const Onnx__AttributeProto *qkv = ng_rw_attr(r, "qkv_hidden_sizes");
    for (int i = 0; i < 3; i++) hs[i] = qkv && qkv->n_ints == 3 ? qkv->ints[i] : wd[1] / 3;
    if (hs[0] + hs[1] + hs[2] != wd[1] || hs[0] != hs[1] || hs[0] % n || hs[2] % n || hs[0] < n)
        return ng_error(NNGPU_ERR_PARSE,
                        "node '%s' (Attention): hidden sizes %lld/%lld/%lld do not "
                        "split weight [%lld, %lld] into %lld heads",
                        r->name, (long long)hs[0], (long long)hs[1], (long long)hs[2],
                        (long long)wd[0], (long long)wd[1], (long long)n);
    float scale = ng_rw_attr_float(r, "scale", 0.0f);
    if (scale == 0.0f) scale = 1.0f / sqrtf((float)(hs[0] / n));
    float filter = ng_rw_attr_float(r, "mask_filter_value", -10000.0f);
    ng_rw_chain chain, *c = &chain;
    ng_chain_init(c, r);
    const char *proj = NG_OP(c, "MatMul", x, w);
    if (bias) proj = NG_OP(c, "Add", proj, bias);
    /* q, k, v: Split of the projection along its last axis */
    const char *split_in[2] = {proj, r->opset >= 13 ? ng_chain_ints(c, 3, hs) : NULL};
    const char *parts[3] = {ng_chain_name(c, "q"), ng_chain_name(c, "k"), ng_chain_name(c, "v")};
    const char *split = ng_chain_name(c, "Split");
    if (proj && split_in[r->opset >= 13] && parts[2] && split) {
        nngpu_status st = nngpu_graph_add_node(r->g, "Split", split, r->opset >= 13 ? 2 : 1, split_in, 3, parts);
        if (st == NNGPU_OK) st = nngpu_graph_set_attr_int(r->g, "axis", -1);
        if (st == NNGPU_OK && r->opset < 13) st = nngpu_graph_set_attr_ints(r->g, "split", 3, hs);
        if (st != NNGPU_OK) r->failed = st;
    }
    /* k, v after the past ([2, B, N, P, hd]), stacked into present */
    const char *past = ng_rw_input(r, 4), *present = ng_rw_output(r, 1);
    const char *k = heads(c, parts[1], n, hs[1] / n), *v = heads(c, parts[2], n, hs[2] / n);
    if (past || present) {
        const char *const kv[2] = {unsqueeze0(c, k), unsqueeze0(c, v)};
        const char *stack = ng_chain_concat(c, 0, 2, kv);
        if (past) {
            const char *const all[2] = {past, stack};
            stack = ng_chain_concat(c, 3, 2, all);
        }
        if (present) ng_chain_op_to(c, "Identity", 1, &stack, present, 0);
        k = NG_OP(c, "Gather", stack, ng_chain_int(c, 0));
        v = NG_OP(c, "Gather", stack, ng_chain_int(c, 1));
    }
    static const int64_t to_kt[4] = {0, 1, 3, 2};
    const char *s = NG_OP(c, "MatMul", heads(c, parts[0], n, hs[0] / n), ng_chain_transpose(c, k, 4, to_kt));
    s = NG_OP(c, "Mul", s, ng_chain_float(c, scale));
    const char *m = attention_mask(c, x, k, past ? past : "", filter);
    if (m && *m) s = NG_OP(c, "Add", s, m);
    if (ng_rw_input(r, 5)) s = NG_OP(c, "Add", s, ng_rw_input(r, 5)); /* attention_bias [B or 1, N or 1, S, T] */
    const char *probs = NG_OP(c, "Softmax", s);
    ng_chain_attr_int(c, "axis", -1);
    static const int64_t perm[4] = {0, 2, 1, 3}, joined[3] = {0, 0, -1};
    const char *ctx = NG_OP(c, "MatMul", probs, v);
    const char *const ins[2] = {ng_chain_transpose(c, ctx, 4, perm), ng_chain_ints(c, 3, joined)};
    ng_chain_op_to(c, "Reshape", 2, ins, y, 1);
    ng_chain_free(c);
    return r->failed;
}

/* Whether some node of the graph reads tensor `name`. */
static int is_read(const ng_onnx_rewrite *r, const char *name) {
    for (size_t i = 0; r->gp && i < r->gp->n_node; i++)
        for (size_t j = 0; r->gp->node[i] && j < r->gp->node[i]->n_input; j++)
            if (r->gp->node[i]->input[j] && !strcmp(r->gp->node[i]->input[j], name)) return 1;
    for (size_t i = 0; r->gp && i < r->gp->n_output; i++)
        if (r->gp->output[i] && r->gp->output[i]->name && !strcmp(r->gp->output[i]->name, name))
            return 1;
    return 0;
}

static nngpu_status embed_layer_norm(ng_onnx_rewrite *r) {
    const char *ids = ng_rw_input(r, 0), *seg = ng_rw_input(r, 1), *word = ng_rw_input(r, 2);
    const char *pos_emb = ng_rw_input(r, 3), *seg_emb = ng_rw_input(r, 4),
               *gamma = ng_rw_input(r, 5);
    const char *beta = ng_rw_input(r, 6), *mask = ng_rw_input(r, 7), *pos_ids = ng_rw_input(r, 8);
    const char *y = ng_rw_output(r, 0), *mask_index = ng_rw_output(r, 1),
               *sum_out = ng_rw_output(r, 2);
    if (!ids || !word || !pos_emb || !gamma || !y)
        return ng_error(NNGPU_ERR_PARSE,
                        "node '%s' (EmbedLayerNormalization): an input or the "
                        "output is missing",
                        r->name);
    ng_rw_chain chain, *c = &chain;
    ng_chain_init(c, r);
    const char *pos = pos_ids ? pos_ids : positions(c, ids, 1, 1);
    const char *sum = NG_OP(c, "Add", NG_OP(c, "Gather", word, ids), NG_OP(c, "Gather", pos_emb, pos));
    if (seg && seg_emb) sum = NG_OP(c, "Add", sum, NG_OP(c, "Gather", seg_emb, seg));
    if (sum_out) ng_chain_op_to(c, "Identity", 1, &sum, sum_out, 0);
    const char *const ln_in[3] = {sum, gamma, beta};
    ng_chain_op_to(c, "LayerNormalization", beta ? 3 : 2, ln_in, y, 1);
    ng_chain_attr_int(c, "axis", -1);
    ng_chain_attr_float(c, "epsilon", ng_rw_attr_float(r, "epsilon", 1e-12f));
    if (mask_index && is_read(r, mask_index) && r->failed == NNGPU_OK) {
        if (!mask) { /* zeros [B], as onnxruntime's */
            const char *b = ng_chain_dims(c, ids, 0, 1);
            const char *zeros = NG_OP(c, "ConstantOfShape", b);
            if (zeros && r->failed == NNGPU_OK) r->failed = ng_rw_cast(r, zeros, 6 /* INT32 */, mask_index);
        } else { /* mask_index[b]: the row's count of ones (right-padded rows: their length) */
            static const int64_t axis = 1;
            const char *mf = ng_chain_cast(c, mask, 1);
            const char *rsum = r->opset >= 13 ? NG_OP(c, "ReduceSum", mf, ng_chain_ints(c, 1, &axis))
                                              : NG_OP(c, "ReduceSum", mf);
            if (r->opset < 13) ng_chain_attr_ints(c, "axes", 1, &axis);
            ng_chain_attr_int(c, "keepdims", 0);
            if (rsum && r->failed == NNGPU_OK) r->failed = ng_rw_cast(r, rsum, 6 /* INT32 */, mask_index);
        }
    }
    ng_chain_free(c);
    return r->failed;
}

nngpu_status ng_onnx_add_contrib_attention_node(ng_onnx_rewrite *r) {
    return !strcmp(r->nd->op_type, "Attention") ? attention(r) : embed_layer_norm(r);
}
