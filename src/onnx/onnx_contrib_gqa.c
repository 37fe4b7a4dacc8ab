/* onnxruntime's com.microsoft GroupQueryAttention (the attention of
 * onnxruntime-genai's LLM exports), rewritten at import into standard ops:
 *   q, k, v   [B, S, heads * H] (or one packed [B, S, (N + 2 kvN) * H]) as
 *             [B, heads, S, H]; optional per-head RMS norm (q/k_norm_weight)
 *   t_b       = seqlens_k[b] + 1 keys after this step; first prompt when
 *             S == total_sequence_length (T), then past_b = 0, else
 *             past_b = t_b - S
 *   rotary    (do_rotary) RotaryEmbedding of q and k at positions past_b + s
 *             (or position_ids); the rotary width is the caches' (2 x cols)
 *   present   [B, kvN, max(T, P), H]: past rows [0, past_b), the new rows at
 *             [past_b, past_b + S), zeros after (GatherElements / Where)
 *   attention Attention(q, present_k, present_v, mask): key j is seen by query
 *             s when j < t_b and, causal, j <= past_b + s (and, with
 *             local_window_size W, j > past_b + s - W); attention_bias adds
 *   sink      smooth_softmax / head_sink: one more key of zeros whose score is
 *             0 / head_sink[h], which adds exp(sink) to the softmax's sum
 *   output    heads joined: [B, S, N * H]
 * Every shape step folds once the input shapes are known; what depends on
 * seqlens_k runs per run. Not supported (an error naming the node):
 * quantized KV caches, query_seqlens, sliding-window caches, qk output.
 * Spec: onnxruntime docs/ContribOperators.md. */
#include <math.h>
#include <string.h>

#include "core/status.h"
#include "onnx_internal.h"
#include "onnx_rw_chain.h"

enum { Q, K, V, PAST_K, PAST_V, SEQLENS_K, TOTAL, COS, SIN, POS_IDS, BIAS, HEAD_SINK, K_SCALE,
       V_SCALE, Q_NORM, K_NORM, QUERY_SEQLENS };

static nngpu_status refuse(const ng_onnx_rewrite *r, const char *what) {
    return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s' (GroupQueryAttention): %s is not supported",
                    r->name, what);
}

static nngpu_status invalid(const ng_onnx_rewrite *r, const char *what) {
    return ng_error(NNGPU_ERR_PARSE, "node '%s' (GroupQueryAttention): %s", r->name, what);
}

typedef struct gqa {
    ng_onnx_rewrite *r;
    ng_rw_chain c;
    int64_t n, kvn, window;
    int causal;
    const char *zero, *one, *S, *T, *B, *H; /* int64 [1] */
    const char *fzero;                      /* 0 of the query's type */
} gqa;

/* x [B, S, heads * H] as [B, S, heads, H]. */
static const char *split_heads(gqa *a, const char *x, int64_t heads) {
    const int64_t shape[4] = {0, 0, heads, -1};
    return ng_chain_reshape(&a->c, x, 4, shape);
}

/* RMS norm of x [B, S, heads, H] over H (Qwen3's q_norm / k_norm). */
static const char *head_norm(gqa *a, const char *x, const char *w, float eps) {
    ng_rw_chain *c = &a->c;
    int64_t axis = -1;
    const char *ms = NG_OP(c, "ReduceMean", NG_OP(c, "Mul", x, x), ng_chain_ints(c, 1, &axis));
    const char *rms = NG_OP(c, "Sqrt", NG_OP(c, "Add", ms, NG_OP(c, "CastLike", ng_chain_float(c, eps), x)));
    return NG_OP(c, "Mul", NG_OP(c, "Div", x, rms), w);
}

static const char *to_bnsh(gqa *a, const char *x) {
    static const int64_t perm[4] = {0, 2, 1, 3};
    return ng_chain_transpose(&a->c, x, 4, perm);
}

static const char *rotary(gqa *a, const char *x, const char *pos) {
    ng_rw_chain *c = &a->c;
    const char *y = NG_OP(c, "RotaryEmbedding", x, ng_rw_input(a->r, COS), ng_rw_input(a->r, SIN), pos);
    ng_chain_attr_int(c, "interleaved", ng_rw_attr_int(a->r, "rotary_interleaved", 0) != 0);
    ng_chain_attr_int(c, "rotary_dim_from_cache", 1);
    return y;
}

/* x [1-D] reshaped to rank 4 with its values on `axis`. */
static const char *on_axis(gqa *a, const char *x, int axis) {
    int64_t shape[4] = {1, 1, 1, 1};
    shape[axis] = -1;
    return ng_chain_reshape(&a->c, x, 4, shape);
}

/* 0 .. n - 1 for n an int64 [1]. */
static const char *range(gqa *a, const char *n) {
    ng_rw_chain *c = &a->c;
    const int64_t none = 0;
    return NG_OP(c, "Range", ng_chain_int(c, 0), ng_chain_reshape(c, n, 0, &none), ng_chain_int(c, 1));
}

/* The present cache: past rows before past_b, the new rows x [B, kvN, S, H]
 * from past_b on, zeros after; length tp. */
static const char *present(gqa *a, const char *x, const char *past, const char *pb4, const char *j4,
                           const char *tp, const char *p, const char *out) {
    ng_rw_chain *c = &a->c;
    const char *rel = NG_OP(c, "Sub", j4, pb4); /* [B, 1, Tp, 1] */
    const char *is_new = NG_OP(c, "And", NG_OP(c, "GreaterOrEqual", rel, a->zero), NG_OP(c, "Less", rel, a->S));
    const char *row = NG_OP(c, "Min", NG_OP(c, "Max", rel, a->zero), NG_OP(c, "Sub", a->S, a->one));
    const int64_t kvn = a->kvn;
    const char *const dims[4] = {a->B, ng_chain_ints(c, 1, &kvn), tp, a->H};
    const char *shape = ng_chain_concat(c, 0, 4, dims);
    const char *moved = NG_OP(c, "GatherElements", x, NG_OP(c, "Expand", row, shape));
    ng_chain_attr_int(c, "axis", 2);
    const char *rest = a->fzero;
    if (past) { /* past padded with zeros to Tp rows: pads [0 0 0 0, 0 0 Tp-P 0] */
        static const int64_t before[6] = {0, 0, 0, 0, 0, 0}, after = 0;
        const char *const p_in[3] = {ng_chain_ints(c, 6, before), NG_OP(c, "Sub", tp, p),
                                     ng_chain_ints(c, 1, &after)};
        const char *padded = NG_OP(c, "Pad", past, ng_chain_concat(c, 0, 3, p_in));
        rest = NG_OP(c, "Where", NG_OP(c, "Less", j4, pb4), padded, a->fzero);
    }
    const char *const ins[3] = {is_new, moved, rest};
    return ng_chain_op_to(c, "Where", 3, ins, out, 0);
}

/* Rows [B, heads, 1, H] of zeros beside x [B, heads, L, H]: the sink key. */
static const char *with_sink_row(gqa *a, const char *x, int64_t heads) {
    ng_rw_chain *c = &a->c;
    const int64_t h = heads;
    const char *const dims[4] = {a->B, ng_chain_ints(c, 1, &h), a->one, a->H};
    const char *const rows[2] = {x, NG_OP(c, "Expand", a->fzero, ng_chain_concat(c, 0, 4, dims))};
    return ng_chain_concat(c, 2, 2, rows);
}

static nngpu_status check(ng_onnx_rewrite *r) {
    if (!ng_rw_input(r, Q) || !ng_rw_input(r, SEQLENS_K) || !ng_rw_input(r, TOTAL) || !ng_rw_output(r, 0))
        return invalid(r, "query, seqlens_k, total_sequence_length and the output are required");
    if (!ng_rw_input(r, K) != !ng_rw_input(r, V)) return invalid(r, "key and value go together");
    if (!ng_rw_input(r, PAST_K) != !ng_rw_input(r, PAST_V))
        return invalid(r, "past_key and past_value go together");
    if (!ng_rw_input(r, Q_NORM) != !ng_rw_input(r, K_NORM))
        return invalid(r, "q_norm_weight and k_norm_weight go together");
    if (ng_rw_attr_int(r, "do_rotary", 0) && (!ng_rw_input(r, COS) || !ng_rw_input(r, SIN)))
        return invalid(r, "do_rotary needs cos_cache and sin_cache");
    if (ng_rw_input(r, K_SCALE) || ng_rw_input(r, V_SCALE) || ng_rw_attr_int(r, "kv_cache_bit_width", 0))
        return refuse(r, "a quantized KV cache");
    if (ng_rw_input(r, QUERY_SEQLENS)) return refuse(r, "query_seqlens");
    if (ng_rw_attr_int(r, "sliding_window_cache", 0)) return refuse(r, "sliding_window_cache");
    if (ng_rw_attr_int(r, "qk_output", 0) || ng_rw_output(r, 3)) return refuse(r, "output_qk");
    if (r->opset < 13) return refuse(r, "a model of opset under 13");
    int64_t n = ng_rw_attr_int(r, "num_heads", 0), kvn = ng_rw_attr_int(r, "kv_num_heads", 0);
    if (n < 1 || kvn < 1 || n % kvn) return invalid(r, "num_heads must be a multiple of kv_num_heads >= 1");
    if (!ng_rw_attr_int(r, "causal", 1) && ng_rw_attr_int(r, "local_window_size", -1) >= 0)
        return invalid(r, "local_window_size needs causal = 1");
    return NNGPU_OK;
}

enum { ONNX_INT64 = 7 };

/* The attention mask [B, 1, S or 1, Tp] of keys j (j4l [1, 1, 1, Tp]) each
 * query sees: bool, or float (0 / -inf, plus attention_bias) when float. */
static const char *key_mask(gqa *a, const char *tb, const char *pb, const char *jl, const char *tp,
                            int as_float) {
    ng_rw_chain *c = &a->c;
    const char *mask = NG_OP(c, "Less", jl, on_axis(a, tb, 0));
    if (a->causal) {
        const char *qpos = NG_OP(c, "Add", on_axis(a, pb, 0), on_axis(a, range(a, a->S), 2));
        mask = NG_OP(c, "And", mask, NG_OP(c, "LessOrEqual", jl, qpos));
        if (a->window >= 0) {
            const char *lo = NG_OP(c, "Sub", qpos, ng_chain_int(c, a->window - 1));
            mask = NG_OP(c, "And", mask, NG_OP(c, "GreaterOrEqual", jl, lo));
        }
    }
    if (!as_float) return mask;
    const char *ninf = NG_OP(c, "CastLike", ng_chain_float(c, -INFINITY), a->fzero);
    mask = NG_OP(c, "Where", mask, a->fzero, ninf);
    const char *bias = ng_rw_input(a->r, BIAS);
    if (bias) { /* [B or 1, N or 1, S, T]: zeros out to Tp */
        static const int64_t before[7] = {0, 0, 0, 0, 0, 0, 0};
        const char *const p[2] = {ng_chain_ints(c, 7, before), NG_OP(c, "Sub", tp, a->T)};
        mask = NG_OP(c, "Add", mask, NG_OP(c, "Pad", bias, ng_chain_concat(c, 0, 2, p)));
    }
    return mask;
}

static nngpu_status rewrite(gqa *a) {
    ng_onnx_rewrite *r = a->r;
    ng_rw_chain *c = &a->c;
    const char *query = ng_rw_input(r, Q), *past_k = ng_rw_input(r, PAST_K), *past_v = ng_rw_input(r, PAST_V);
    static const int64_t zero = 0, one = 1, flat = -1;
    a->zero = ng_chain_ints(c, 1, &zero);
    a->one = ng_chain_ints(c, 1, &one);
    a->fzero = NG_OP(c, "CastLike", ng_chain_float(c, 0.0f), query);
    a->B = ng_chain_dims(c, query, 0, 1);
    a->S = ng_chain_dims(c, query, 1, 2);
    a->T = ng_chain_reshape(c, ng_chain_cast(c, ng_rw_input(r, TOTAL), ONNX_INT64), 1, &flat);

    /* q, k, v as [B, S, heads, H] */
    const char *q4, *k4, *v4;
    if (ng_rw_input(r, K)) {
        q4 = split_heads(a, query, a->n);
        k4 = split_heads(a, ng_rw_input(r, K), a->kvn);
        v4 = split_heads(a, ng_rw_input(r, V), a->kvn);
    } else {
        const char *qkv = split_heads(a, query, a->n + 2 * a->kvn);
        q4 = ng_chain_slice(c, qkv, 2, 0, a->n);
        k4 = ng_chain_slice(c, qkv, 2, a->n, a->n + a->kvn);
        v4 = ng_chain_slice(c, qkv, 2, a->n + a->kvn, a->n + 2 * a->kvn);
    }
    if (ng_rw_input(r, Q_NORM)) {
        float eps = ng_rw_attr_float(r, "qk_norm_epsilon", 1e-6f);
        q4 = head_norm(a, q4, ng_rw_input(r, Q_NORM), ng_rw_attr_float(r, "q_norm_epsilon", eps));
        k4 = head_norm(a, k4, ng_rw_input(r, K_NORM), ng_rw_attr_float(r, "k_norm_epsilon", eps));
    }
    a->H = ng_chain_dims(c, q4, 3, 4);
    const char *qh = to_bnsh(a, q4), *kh = to_bnsh(a, k4), *vh = to_bnsh(a, v4);

    /* keys after this step t_b and rows before it past_b, both [B] */
    const char *tb = NG_OP(c, "Add", ng_chain_cast(c, ng_rw_input(r, SEQLENS_K), ONNX_INT64), a->one);
    const char *first = NG_OP(c, "Equal", a->S, a->T);
    const char *pb = NG_OP(c, "Where", first, a->zero, NG_OP(c, "Sub", tb, a->S));
    if (ng_rw_attr_int(r, "do_rotary", 0)) {
        const char *pos = ng_rw_input(r, POS_IDS);
        if (!pos) pos = NG_OP(c, "Add", ng_chain_reshape(c, pb, 2, (const int64_t[]){-1, 1}), range(a, a->S));
        qh = rotary(a, qh, pos);
        kh = rotary(a, kh, pos);
    }

    /* the present caches, Tp = max(T, P) rows */
    const char *p = past_k ? ng_chain_dims(c, past_k, 2, 3) : a->zero;
    const char *tp = NG_OP(c, "Max", a->T, p);
    const char *j = range(a, tp);
    const char *pb4 = on_axis(a, pb, 0), *j4 = on_axis(a, j, 2);
    const char *pk = present(a, kh, past_k, pb4, j4, tp, p, ng_rw_output(r, 1));
    const char *pv = present(a, vh, past_v, pb4, j4, tp, p, ng_rw_output(r, 2));

    /* sink: one more key, zeros, scored 0 (smooth_softmax) or head_sink[h] */
    const char *sink = ng_rw_input(r, HEAD_SINK);
    int with_sink = sink || ng_rw_attr_int(r, "smooth_softmax", 0);
    const char *mask = key_mask(a, tb, pb, on_axis(a, j, 3), tp, with_sink || ng_rw_input(r, BIAS));
    if (with_sink) {
        const int64_t n = a->n;
        const char *const full_in[4] = {a->B, ng_chain_ints(c, 1, &n), a->S, tp};
        const char *const col_in[4] = {a->B, ng_chain_ints(c, 1, &n), a->S, a->one};
        const char *score = sink ? on_axis(a, NG_OP(c, "CastLike", sink, a->fzero), 1) : a->fzero;
        const char *const cols[2] = {NG_OP(c, "Expand", mask, ng_chain_concat(c, 0, 4, full_in)),
                                     NG_OP(c, "Expand", score, ng_chain_concat(c, 0, 4, col_in))};
        mask = ng_chain_concat(c, 3, 2, cols);
        pk = with_sink_row(a, pk, a->kvn);
        pv = with_sink_row(a, pv, a->kvn);
    }
    const char *att = NG_OP(c, "Attention", qh, pk, pv, mask);
    float scale = ng_rw_attr_float(r, "scale", 0.0f), softcap = ng_rw_attr_float(r, "softcap", 0.0f);
    if (scale != 0.0f) ng_chain_attr_float(c, "scale", scale);
    if (softcap > 0.0f) ng_chain_attr_float(c, "softcap", softcap);
    static const int64_t perm[4] = {0, 2, 1, 3}, joined[3] = {0, 0, -1};
    const char *const out_in[2] = {ng_chain_transpose(c, att, 4, perm), ng_chain_ints(c, 3, joined)};
    ng_chain_op_to(c, "Reshape", 2, out_in, ng_rw_output(r, 0), 1);
    return ng_chain_status(c);
}

int ng_onnx_is_contrib_gqa_op(const char *op_type) { return !strcmp(op_type, "GroupQueryAttention"); }

nngpu_status ng_onnx_add_contrib_gqa_node(ng_onnx_rewrite *r) {
    NG_CHECK(check(r));
    gqa a = {.r = r,
             .n = ng_rw_attr_int(r, "num_heads", 0),
             .kvn = ng_rw_attr_int(r, "kv_num_heads", 0),
             .window = ng_rw_attr_int(r, "local_window_size", -1),
             .causal = ng_rw_attr_int(r, "causal", 1) != 0};
    ng_chain_init(&a.c, r);
    nngpu_status s = rewrite(&a);
    ng_chain_free(&a.c);
    return s;
}
