/* onnxruntime's transformer fusions (written by onnxruntime.transformers'
 * optimizer, as Hugging Face Optimum uses it), rewritten at import into the
 * standard ops they fuse:
 *   EmbedLayerNormalization(ids, segment_ids, word, position, segment
 *       embeddings, gamma, beta, mask, position_ids)
 *     -> LayerNormalization(Gather(word, ids) + Gather(position, 0..S-1 or
 *        position_ids) + Gather(segment, segment_ids)); mask_index = the
 *        mask's row sums (int32)
 *   Attention(x, W, bias, mask_index)
 *     -> q, k, v = Split(x W + bias) per head; Softmax(q k^T * scale + mask)
 *        v, heads joined. The mask: a 1-D mask_index (valid keys before
 *        mask_index[b]) or a 2-D 0/1 mask, masked scores get
 *        mask_filter_value; unidirectional masks future keys too.
 * Not supported (an error naming the node): past / present state,
 * attention_bias, rotary embeddings, 3-D and 4-D masks.
 * Specs: onnxruntime docs/ContribOperators.md. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/status.h"
#include "nngpu/graph.h"
#include "onnx_internal.h"

int ng_onnx_is_contrib_attention_op(const char *op_type) {
    return !strcmp(op_type, "Attention") || !strcmp(op_type, "EmbedLayerNormalization");
}

typedef char name_buf[600];

static nngpu_status unsupported(ng_onnx_rewrite *r, const char *what) {
    return r->failed = ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s' (%s): %s is not supported",
                                r->name, r->nd->op_type, what);
}

/* 1 when st is NNGPU_OK; else records it as the rewrite's failure. */
static int set_ok(ng_onnx_rewrite *r, nngpu_status st) {
    if (st != NNGPU_OK) r->failed = st;
    return st == NNGPU_OK;
}

/* The failure a helper recorded (its error names the node or tensor). */
static nngpu_status failure(const ng_onnx_rewrite *r) {
    return r->failed != NNGPU_OK ? r->failed
                                 : ng_error(NNGPU_ERR_INTERNAL,
                                            "node '%s' (%s): "
                                            "rewrite failed",
                                            r->name, r->nd->op_type);
}

/* A new constant: float32 scalar or int64 list (rank 0 when n == 0). */
static const char *const_f(ng_onnx_rewrite *r, const char *what, float v, name_buf buf) {
    return set_ok(r, ng_rw_scalar(r, what, v, buf, sizeof(name_buf))) ? buf : NULL;
}

static const char *const_i64(ng_onnx_rewrite *r, const char *what, int n, const int64_t *v,
                             name_buf buf) {
    return set_ok(r, ng_rw_i64(r, what, n ? 1 : 0, n, v, buf, sizeof(name_buf))) ? buf : NULL;
}

/* Node op(a[, b[, c]]) into a fresh tensor named into out; NULL on failure
 * (the error is set). A NULL operand fails too, with an error set earlier. */
static const char *op3(ng_onnx_rewrite *r, const char *op, const char *a, const char *b,
                       const char *c, name_buf out) {
    const char *ins[3] = {a, b, c};
    int n = c ? 3 : b ? 2 : 1;
    for (int i = 0; i < n; i++)
        if (!ins[i]) return NULL;
    ng_rw_tmp(r, op, out, sizeof(name_buf));
    return set_ok(r, ng_rw_add(r, op, 0, n, ins, out)) ? out : NULL;
}

static const char *op2(ng_onnx_rewrite *r, const char *op, const char *a, const char *b,
                       name_buf out) {
    return op3(r, op, a, b, NULL, out);
}

static const char *op1(ng_onnx_rewrite *r, const char *op, const char *a, name_buf out) {
    return op3(r, op, a, NULL, NULL, out);
}

/* Reshape(x, shape). */
static const char *reshape(ng_onnx_rewrite *r, const char *x, int n, const int64_t *shape,
                           name_buf shape_buf, name_buf out) {
    return op2(r, "Reshape", x, const_i64(r, "shape", n, shape, shape_buf), out);
}

static const char *transpose(ng_onnx_rewrite *r, const char *x, const int64_t perm[4],
                             name_buf out) {
    if (!op1(r, "Transpose", x, out)) return NULL;
    return set_ok(r, nngpu_graph_set_attr_ints(r->g, "perm", 4, perm)) ? out : NULL;
}

static const char *cast(ng_onnx_rewrite *r, const char *x, int64_t to, name_buf out) {
    if (!x) return NULL;
    return set_ok(r, ng_rw_cast(r, x, to, ng_rw_tmp(r, "Cast", out, sizeof(name_buf)))) ? out : NULL;
}

static const char *clip01(ng_onnx_rewrite *r, const char *x, name_buf out) {
    if (!x) return NULL;
    return set_ok(r, ng_rw_clip(r, x, 0, 1, ng_rw_tmp(r, "Clip", out, sizeof(name_buf)))) ? out : NULL;
}

/* 0, 1, ..., n-1 (float32, or int64 when as_int) for n = dim `axis` of x. */
static const char *positions(ng_onnx_rewrite *r, const char *x, int64_t axis, int as_int,
                             name_buf out) {
    name_buf shp, ax, n, zero, one, rng;
    const int64_t z = 0, o = 1;
    if (!op1(r, "Shape", x, shp) || !op2(r, "Gather", shp, const_i64(r, "axis", 0, &axis, ax), n) ||
        !op3(r, "Range", const_i64(r, "zero", 0, &z, zero), n, const_i64(r, "one", 0, &o, one),
             rng))
        return NULL;
    if (as_int) return strcpy(out, rng);
    return cast(r, rng, 1, out);
}

/* The additive mask: mask_filter_value where (1 - valid) is 1; valid in [0, 1]. */
static const char *masked_add(ng_onnx_rewrite *r, const char *valid, float filter, name_buf out) {
    name_buf one, inv, f;
    return op2(r, "Mul", op2(r, "Sub", const_f(r, "one", 1, one), valid, inv),
               const_f(r, "filter", filter, f), out);
}

/* The rank of tensor `name`: a graph input's or value_info's, through Casts;
 * EmbedLayerNormalization's mask_index is 1-D. -1 when unknown. */
static int rank_of(const ng_onnx_rewrite *r, const char *name, int depth) {
    const Onnx__GraphProto *gp = r->gp;
    if (!gp || depth > 8) return -1;
    const Onnx__ValueInfoProto *const *lists[2] = {
        (const Onnx__ValueInfoProto *const *)gp->input,
        (const Onnx__ValueInfoProto *const *)gp->value_info};
    size_t counts[2] = {gp->n_input, gp->n_value_info};
    for (int l = 0; l < 2; l++)
        for (size_t i = 0; i < counts[l]; i++) {
            const Onnx__ValueInfoProto *vi = lists[l][i];
            if (vi && vi->name && !strcmp(vi->name, name) && vi->type && vi->type->tensor_type &&
                vi->type->tensor_type->shape)
                return (int)vi->type->tensor_type->shape->n_dim;
        }
    for (size_t i = 0; i < gp->n_node; i++) {
        const Onnx__NodeProto *nd = gp->node[i];
        for (size_t o = 0; nd && o < nd->n_output; o++) {
            if (!nd->output[o] || strcmp(nd->output[o], name)) continue;
            if (!strcmp(nd->op_type, "EmbedLayerNormalization") && o == 1) return 1;
            if (!strcmp(nd->op_type, "Cast") && nd->n_input == 1)
                return rank_of(r, nd->input[0], depth + 1);
            return -1;
        }
    }
    return -1;
}

/* The constant 2-D weight's dims into d (from its initializer). */
static int weight_dims(const ng_onnx_rewrite *r, const char *w, int64_t d[2]) {
    int t = w ? ng_tensor_find(r->g, w) : -1;
    if (t < 0 || !ng_is_const(r->g, t) || r->g->tensors[t].rank != 2) return 0;
    d[0] = r->g->tensors[t].dims[0];
    d[1] = r->g->tensors[t].dims[1];
    return 1;
}

/* The additive attention mask ([B, 1, 1, S] or [S, S] shaped), or "" for none. */
static const char *attention_mask(ng_onnx_rewrite *r, const char *x, float filter, name_buf out) {
    const char *m = ng_rw_input(r, 3);
    name_buf a, b, c, d, e, f, g2, h;
    const char *add = NULL;
    const int64_t to_b11s[4] = {0, 1, 1, -1}, col[2] = {-1, 1}, row[2] = {1, -1};
    if (m) {
        int rank = rank_of(r, m, 0);
        const char *valid;
        if (rank == 1) { /* keys before mask_index[b] */
            const char *end = reshape(r, cast(r, m, 1, a), 2, col, b, c);
            const char *pos = reshape(r, positions(r, x, 1, 0, d), 2, row, e, f);
            valid = clip01(r, op2(r, "Sub", end, pos, g2), h);
        } else if (rank == 2) {
            valid = cast(r, m, 1, h);
        } else {
            return rank < 0 ? (unsupported(r, "a mask_index of unknown rank"), NULL)
                            : (unsupported(r, "a 3-D or 4-D mask_index"), NULL);
        }
        add = reshape(r, masked_add(r, valid, filter, c), 4, to_b11s, d, out);
        if (!add) return NULL;
    }
    if (!ng_rw_attr_int(r, "unidirectional", 0)) return add ? add : strcpy(out, "");
    /* key j of query i is valid when j <= i */
    name_buf p, pc, pr, s1, s2, diff, one, shifted, valid, causal;
    const char *pos = positions(r, x, 1, 0, p);
    const char *d_ij =
        op2(r, "Sub", reshape(r, pos, 2, col, s1, pc), reshape(r, pos, 2, row, s2, pr), diff);
    const char *v = clip01(r, op2(r, "Add", d_ij, const_f(r, "one", 1, one), shifted), valid);
    const char *cm = masked_add(r, v, filter, causal);
    if (!add) return cm ? strcpy(out, cm) : NULL;
    name_buf both;
    return op2(r, "Add", add, cm, both) ? strcpy(out, both) : NULL;
}

/* One of q, k, v ([B, S, N * hd]) as [B, N, S, hd] (k: [B, N, hd, S]). */
static const char *heads(ng_onnx_rewrite *r, const char *t, int64_t n, int64_t hd, int key,
                         name_buf out) {
    name_buf shape, split;
    const int64_t dims[4] = {0, 0, n, hd}, perm_qv[4] = {0, 2, 1, 3}, perm_k[4] = {0, 2, 3, 1};
    return transpose(r, reshape(r, t, 4, dims, shape, split), key ? perm_k : perm_qv, out);
}

static nngpu_status attention(ng_onnx_rewrite *r) {
    const char *x = ng_rw_input(r, 0), *w = ng_rw_input(r, 1), *bias = ng_rw_input(r, 2);
    const char *y = ng_rw_output(r, 0);
    if (!x || !w || !y)
        return ng_error(NNGPU_ERR_PARSE, "node '%s' (Attention): an input or the output is missing",
                        r->name);
    if (ng_rw_input(r, 4) || ng_rw_input(r, 6) || ng_rw_output(r, 1))
        return unsupported(r, "past / present state");
    if (ng_rw_input(r, 5)) return unsupported(r, "attention_bias");
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
    name_buf mm, qkv_t, sizes, q, k, v, qh, kh, vh, sc, scaled, k_scale, mask, masked, probs, ctx,
        ctx_t, shape;
    const char *proj = op2(r, "MatMul", x, w, mm);
    if (proj && bias) proj = op2(r, "Add", proj, bias, qkv_t);
    if (!proj) return failure(r);
    const char *split_in[2] = {proj, NULL}, *split_out[3];
    ng_rw_tmp(r, "q", q, sizeof q);
    ng_rw_tmp(r, "k", k, sizeof k);
    ng_rw_tmp(r, "v", v, sizeof v);
    split_out[0] = q;
    split_out[1] = k;
    split_out[2] = v;
    name_buf split_name;
    ng_rw_tmp(r, "Split", split_name, sizeof split_name);
    if (r->opset >= 13 && !(split_in[1] = const_i64(r, "sizes", 3, hs, sizes))) return failure(r);
    NG_CHECK(nngpu_graph_add_node(r->g, "Split", split_name, r->opset >= 13 ? 2 : 1, split_in, 3,
                                  split_out));
    NG_CHECK(nngpu_graph_set_attr_int(r->g, "axis", -1));
    if (r->opset < 13) NG_CHECK(nngpu_graph_set_attr_ints(r->g, "split", 3, hs));
    const char *s =
        op2(r, "MatMul", heads(r, q, n, hs[0] / n, 0, qh), heads(r, k, n, hs[1] / n, 1, kh), sc);
    s = op2(r, "Mul", s, const_f(r, "scale", scale, k_scale), scaled);
    const char *m = s ? attention_mask(r, x, filter, mask) : NULL;
    if (m && *m) s = op2(r, "Add", s, m, masked);
    if (!m || !s || !op1(r, "Softmax", s, probs) ||
        !set_ok(r, nngpu_graph_set_attr_int(r->g, "axis", -1)))
        return failure(r);
    const int64_t perm[4] = {0, 2, 1, 3}, joined[3] = {0, 0, -1};
    const char *c =
        transpose(r, op2(r, "MatMul", probs, heads(r, v, n, hs[2] / n, 0, vh), ctx), perm, ctx_t);
    const char *ins[2] = {c, const_i64(r, "shape", 3, joined, shape)};
    if (!ins[0] || !ins[1]) return failure(r);
    return ng_rw_add(r, "Reshape", 1, 2, ins, y);
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
    name_buf we, p, pe, se, s1, s2;
    const char *pos = pos_ids ? pos_ids : positions(r, ids, 1, 1, p);
    const char *sum =
        op2(r, "Add", op2(r, "Gather", word, ids, we), op2(r, "Gather", pos_emb, pos, pe), s1);
    if (sum && seg && seg_emb) sum = op2(r, "Add", sum, op2(r, "Gather", seg_emb, seg, se), s2);
    if (sum && sum_out) {
        const char *in[1] = {sum};
        NG_CHECK(ng_rw_add(r, "Identity", 0, 1, in, sum_out));
    }
    if (!sum) return failure(r);
    const char *ln_in[3] = {sum, gamma, beta};
    NG_CHECK(ng_rw_add(r, "LayerNormalization", 1, beta ? 3 : 2, ln_in, y));
    NG_CHECK(nngpu_graph_set_attr_int(r->g, "axis", -1));
    NG_CHECK(nngpu_graph_set_attr_float(r->g, "epsilon", ng_rw_attr_float(r, "epsilon", 1e-12f)));
    if (!mask_index || !is_read(r, mask_index)) return NNGPU_OK;
    if (!mask) return unsupported(r, "a mask_index output without a mask input");
    /* mask_index[b]: the row's count of ones (right-padded rows: their length) */
    name_buf mf, axes, rs;
    const int64_t axis = 1;
    const char *rsum;
    if (r->opset >= 13) {
        rsum = op2(r, "ReduceSum", cast(r, mask, 1, mf), const_i64(r, "axes", 1, &axis, axes), rs);
    } else {
        rsum = op1(r, "ReduceSum", cast(r, mask, 1, mf), rs);
        if (rsum) NG_CHECK(nngpu_graph_set_attr_ints(r->g, "axes", 1, &axis));
    }
    if (!rsum || !set_ok(r, nngpu_graph_set_attr_int(r->g, "keepdims", 0))) return failure(r);
    return ng_rw_cast(r, rsum, 6 /* INT32 */, mask_index);
}

nngpu_status ng_onnx_add_contrib_attention_node(ng_onnx_rewrite *r) {
    return !strcmp(r->nd->op_type, "Attention") ? attention(r) : embed_layer_norm(r);
}
