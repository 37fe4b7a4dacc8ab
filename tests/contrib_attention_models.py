"""Decoder blocks the way onnxruntime-genai writes LLMs: onnxruntime's com.microsoft
GroupQueryAttention with a KV cache (BNSH past / present), rotary embeddings from
cos / sin caches, seqlens_k from the attention mask and total_sequence_length from
its shape. nngpu rewrites GroupQueryAttention into standard ops at import; the cases
compare it with onnxruntime's kernel on every device.

- gqa_prompt: the first prompt, packed QKV, rotary, an attention mask that pads every
  sample but the first at its end (the rows of padding are unspecified: zeroed by Where).
- gqa_decode: the next token after a cache of PAST, separate Q / K / V, interleaved
  rotary, a local window and softcap.
- gqa_sink: multi-query (one KV head), per-head attention sinks, an additive
  attention_bias input.
- gqa_qknorm: Qwen3's per-head RMS norm of Q and K (q_norm_weight, k_norm_weight), which
  onnxruntime's CPU kernel refuses: its oracle spells the norm out before the attention."""
import numpy as np
from onnx import TensorProto

from make_models import Net
from zoo_models import SEQ, VOCAB

HIDDEN, Q_HEADS, KV_HEADS, HEAD = 64, 4, 2, 16
PAST = 8  # decode steps read a cache of PAST; onnxruntime takes one token per sample then


def _rope(n, rot, positions=64):
    inv = 1.0 / (10000 ** (np.arange(0, rot, 2) / rot))
    ang = np.outer(np.arange(positions), inv)
    return n.const(np.cos(ang)), n.const(np.sin(ang))


def _int32(n, x):
    return n.op("Cast", [x], to=TensorProto.INT32)


def _lengths_from_mask(n, mask):
    """seqlens_k = rows of the mask - 1, total_sequence_length = its width (genai's)."""
    ones = n.op("ReduceSum", [mask, n.constant_node([1])], keepdims=0)
    seqlens = _int32(n, n.op("Sub", [ones, n.constant_node(1)]))
    total = _int32(n, n.op("Gather", [n.op("Shape", [mask]), n.constant_node(1)], axis=0))
    return seqlens, total


def _lengths_from_shapes(n, x, past):
    """Every sample holds its whole cache: total = PAST + S, seqlens_k = total - 1."""
    seq = n.op("Slice", [n.op("Shape", [x]), n.constant_node([1]), n.constant_node([2])])
    tot = n.op("Add", [seq, n.op("Slice", [n.op("Shape", [past]), n.constant_node([2]), n.constant_node([3])])])
    batch = n.op("Slice", [n.op("Shape", [x]), n.constant_node([0]), n.constant_node([1])])
    seqlens = _int32(n, n.op("Expand", [n.op("Sub", [tot, n.constant_node([1])]), batch]))
    total = _int32(n, n.op("Squeeze", [tot, n.constant_node([0])]))
    return seqlens, total


def _finish(n, inputs, y, kv_heads, seq, total):
    cache = ["N", kv_heads, total, HEAD]
    return n.finish(inputs, [(y[0], "output", ["N", seq, HIDDEN]), (y[1], "present_key", cache),
                             (y[2], "present_value", cache)], contrib=True)


def gqa_prompt(rng):
    n = Net("gqa_prompt", rng)
    qkv = n.linear("input", HIDDEN, (Q_HEADS + 2 * KV_HEADS) * HEAD)
    seqlens, total = _lengths_from_mask(n, "attention_mask")
    cos, sin = _rope(n, HEAD)
    att, pk, pv = n.op("GroupQueryAttention", [qkv, "", "", "", "", seqlens, total, cos, sin], n_out=3,
                       domain="com.microsoft", num_heads=Q_HEADS, kv_num_heads=KV_HEADS, do_rotary=1)
    valid = n.op("Unsqueeze", [n.op("Cast", ["attention_mask"], to=TensorProto.BOOL), n.constant_node([2])])
    att = n.op("Where", [valid, att, n.const(np.zeros(1))])
    y = n.op("Add", ["input", n.linear(att, HIDDEN, HIDDEN)])
    return _finish(n, [("input", TensorProto.FLOAT, ["N", SEQ, HIDDEN]),
                       ("attention_mask", TensorProto.INT64, ["N", SEQ])], (y, pk, pv), KV_HEADS, SEQ, SEQ)


def gqa_decode(rng):
    n = Net("gqa_decode", rng)
    q, k, v = (n.linear("input", HIDDEN, h * HEAD) for h in (Q_HEADS, KV_HEADS, KV_HEADS))
    seqlens, total = _lengths_from_shapes(n, "input", "past_key")
    cos, sin = _rope(n, HEAD)
    att, pk, pv = n.op("GroupQueryAttention", [q, k, v, "past_key", "past_value", seqlens, total, cos, sin],
                       n_out=3, domain="com.microsoft", num_heads=Q_HEADS, kv_num_heads=KV_HEADS, do_rotary=1,
                       rotary_interleaved=1, local_window_size=4, softcap=3.0)
    y = n.op("Add", ["input", n.linear(att, HIDDEN, HIDDEN)])
    cache = ["N", KV_HEADS, PAST, HEAD]
    return _finish(n, [("input", TensorProto.FLOAT, ["N", 1, HIDDEN]),
                       ("past_key", TensorProto.FLOAT, cache), ("past_value", TensorProto.FLOAT, cache)],
                   (y, pk, pv), KV_HEADS, 1, PAST + 1)


def gqa_sink(rng):
    n = Net("gqa_sink", rng)
    q, k, v = (n.linear("input", HIDDEN, h * HEAD) for h in (Q_HEADS, 1, 1))
    seqlens, total = _lengths_from_shapes(n, "input", "past_key")
    sink = n.const(rng.normal(0, 1, Q_HEADS))
    att, pk, pv = n.op("GroupQueryAttention", [q, k, v, "past_key", "past_value", seqlens, total, "", "", "",
                                               "attention_bias", sink],
                       n_out=3, domain="com.microsoft", num_heads=Q_HEADS, kv_num_heads=1, scale=0.2)
    y = n.op("Add", ["input", n.linear(att, HIDDEN, HIDDEN)])
    cache = ["N", 1, PAST, HEAD]
    return _finish(n, [("input", TensorProto.FLOAT, ["N", 1, HIDDEN]),
                       ("past_key", TensorProto.FLOAT, cache), ("past_value", TensorProto.FLOAT, cache),
                       ("attention_bias", TensorProto.FLOAT, ["N", Q_HEADS, 1, PAST + 1])],
                   (y, pk, pv), 1, 1, PAST + 1)


def _head_rms_norm(n, x, heads, w, eps):
    """x [N, S, heads * HEAD] normalized per head: x / sqrt(mean(x^2) + eps) * w."""
    h = n.op("Reshape", [x, n.constant_node([0, 0, heads, HEAD])])
    ms = n.op("ReduceMean", [n.op("Mul", [h, h])], axes=[-1])
    y = n.op("Mul", [n.op("Div", [h, n.op("Sqrt", [n.op("Add", [ms, n.const(eps)])])]), w])
    return n.op("Reshape", [y, n.constant_node([0, 0, heads * HEAD])])


def gqa_qknorm(rng):
    models, seed = [], int(rng.integers(1 << 30))
    for spelled in (False, True):  # the same weights: the same draws from the same seed
        n = Net("gqa_qknorm", np.random.default_rng(seed))
        q, k, v = (n.linear("input", HIDDEN, h * HEAD) for h in (Q_HEADS, KV_HEADS, KV_HEADS))
        wq, wk = n.const(n.rng.uniform(0.5, 1.5, HEAD)), n.const(n.rng.uniform(0.5, 1.5, HEAD))
        seqlens, total = _lengths_from_shapes(n, "input", "past_key")
        cos, sin = _rope(n, HEAD)
        ins = [q, k, v, "past_key", "past_value", seqlens, total, cos, sin]
        if spelled:
            ins[0], ins[1] = _head_rms_norm(n, q, Q_HEADS, wq, 1e-5), _head_rms_norm(n, k, KV_HEADS, wk, 1e-5)
        else:
            ins += ["", "", "", "", "", wq, wk]
        att, pk, pv = n.op("GroupQueryAttention", ins, n_out=3, domain="com.microsoft", num_heads=Q_HEADS,
                           kv_num_heads=KV_HEADS, do_rotary=1, qk_norm_epsilon=1e-5)
        y = n.op("Add", ["input", n.linear(att, HIDDEN, HIDDEN)])
        cache = ["N", KV_HEADS, PAST, HEAD]
        models.append(_finish(n, [("input", TensorProto.FLOAT, ["N", 1, HIDDEN]),
                                  ("past_key", TensorProto.FLOAT, cache), ("past_value", TensorProto.FLOAT, cache)],
                              (y, pk, pv), KV_HEADS, 1, PAST + 1))
    return tuple(models)  # the model, and the oracle onnxruntime runs


MODELS = {f.__name__: f for f in (gqa_prompt, gqa_decode, gqa_sink, gqa_qknorm)}


# ---- MultiHeadAttention and RotaryEmbedding (onnxruntime.transformers' fusions) ----

def _mha(n, ins, n_out=1, **attrs):
    return n.op("MultiHeadAttention", ins, n_out=n_out, domain="com.microsoft", num_heads=Q_HEADS, **attrs)


def _proj(n, x, dout):
    return n.op("MatMul", [x, n.const(n.rng.normal(0, HIDDEN ** -0.5, (HIDDEN, dout)))])


def mha_encoder(rng):
    """Self-attention as the optimizer fuses CLIP's / ViT's: q, k, v MatMuls whose bias
    MultiHeadAttention adds, a [B, T] key padding mask."""
    n = Net("mha_encoder", rng)
    q, k, v = (_proj(n, "input", HIDDEN) for _ in range(3))
    att = _mha(n, [q, k, v, n.const(n.rng.normal(0, 0.1, 3 * HIDDEN)), "key_padding_mask"])
    y = n.op("Add", ["input", n.linear(att, HIDDEN, HIDDEN)])
    return n.finish([("input", TensorProto.FLOAT, ["N", SEQ, HIDDEN]),
                     ("key_padding_mask", TensorProto.INT32, ["N", SEQ])],
                    [(y, "output", ["N", SEQ, HIDDEN])], contrib=True)


def mha_decoder(rng):
    """A decoder step after a cache (BART's / Whisper's self-attention): past_key /
    past_value in, present out, unidirectional, [B] key lengths, T5's additive
    attention_bias, a scale."""
    n = Net("mha_decoder", rng)
    q, k, v = (_proj(n, "input", HIDDEN) for _ in range(3))
    total = PAST + SEQ
    att, pk, pv = _mha(n, [q, k, v, "", "key_lengths", "attention_bias", "past_key", "past_value"], n_out=3,
                       unidirectional=1, scale=0.3)
    y = n.op("Add", ["input", n.linear(att, HIDDEN, HIDDEN)])
    cache, present = ["N", Q_HEADS, PAST, HEAD], ["N", Q_HEADS, total, HEAD]
    return n.finish([("input", TensorProto.FLOAT, ["N", SEQ, HIDDEN]), ("key_lengths", TensorProto.INT32, ["N"]),
                     ("attention_bias", TensorProto.FLOAT, [1, Q_HEADS, SEQ, total]),
                     ("past_key", TensorProto.FLOAT, cache), ("past_value", TensorProto.FLOAT, cache)],
                    [(y, "output", ["N", SEQ, HIDDEN]), (pk, "present_key", present),
                     (pv, "present_value", present)], contrib=True)


def mha_cross(rng):
    """Cross-attention over an encoder's cached keys (Whisper's decoder): key / value
    [B, N, L, H] (heads split already; of the bias only q's part counts), a [B, S, T]
    mask, mask_filter_value; present = the cache."""
    n = Net("mha_cross", rng)
    bias = n.const(n.rng.normal(0, 0.5, 3 * HIDDEN))
    att, pk = _mha(n, [_proj(n, "input", HIDDEN), "cross_key", "cross_value", bias, "key_padding_mask"], n_out=2,
                   mask_filter_value=-1e4 / 3)
    y = n.op("Add", ["input", n.linear(att, HIDDEN, HIDDEN)])
    cache = ["N", Q_HEADS, PAST, HEAD]
    return n.finish([("input", TensorProto.FLOAT, ["N", SEQ, HIDDEN]),
                     ("cross_key", TensorProto.FLOAT, cache), ("cross_value", TensorProto.FLOAT, cache),
                     ("key_padding_mask", TensorProto.INT32, ["N", SEQ, PAST])],
                    [(y, "output", ["N", SEQ, HIDDEN]), (pk, "present_key", cache)], contrib=True)


def mha_packed(rng):
    """Packed q, k, v [B, S, N, 3, H] with a bias, then packed k, v [B, L, N, 2, H] over a
    memory input: onnxruntime's CPU kernel implements neither, so its oracle unpacks them
    into 3-D q, k, v first (the same weights)."""
    models, seed = [], int(rng.integers(1 << 30))
    for unpacked in (False, True):
        n = Net("mha_packed", np.random.default_rng(seed))
        bias = n.const(n.rng.normal(0, 0.1, 3 * HIDDEN))
        qkv = n.op("Reshape", [_proj(n, "input", 3 * HIDDEN), n.constant_node([0, 0, Q_HEADS, 3, HEAD])])
        kv = n.op("Reshape", [_proj(n, "memory", 2 * HIDDEN), n.constant_node([0, 0, Q_HEADS, 2, HEAD])])
        q2 = _proj(n, "input", HIDDEN)

        def part(x, i):
            sl = n.op("Slice", [x, n.constant_node([i]), n.constant_node([i + 1]), n.constant_node([3])])
            return n.op("Reshape", [sl, n.constant_node([0, 0, HIDDEN])])
        if unpacked:
            a1 = _mha(n, [part(qkv, 0), part(qkv, 1), part(qkv, 2), bias])
            a2 = _mha(n, [q2, part(kv, 0), part(kv, 1)])
        else:
            a1 = _mha(n, [qkv, "", "", bias])
            a2 = _mha(n, [q2, kv])
        y = n.op("Add", [a1, a2])
        models.append(n.finish([("input", TensorProto.FLOAT, ["N", SEQ, HIDDEN]),
                                ("memory", TensorProto.FLOAT, ["N", PAST, HIDDEN])],
                               [(y, "output", ["N", SEQ, HIDDEN])], contrib=True))
    return tuple(models)


def ort_attention_past(rng):
    """onnxruntime's GPT-2 export (models.gpt2.convert_to_onnx): EmbedLayerNormalization
    without a mask (its mask_index output: zeros), Attention with past [2, B, N, P, H] and
    present, unidirectional, a left-padded [B, P + S] mask (sample 1's first query sees
    padding only: onnxruntime averages all its keys), mask_filter_value -3.4e38; then
    T5's encoder attention (no past: onnxruntime refuses both) with attention_bias,
    scale 1 and RoBERTa's mask_index (keys per sample: a ReduceSum of the mask)."""
    n = Net("ort_attention_past", rng)
    past = 1
    ids = n.op("Cast", ["input_ids"], to=TensorProto.INT32)
    table = [n.const(n.rng.normal(0, 1, (rows, HIDDEN))) for rows in (VOCAB, 64)]
    gamma, beta = n.const(n.rng.uniform(0.5, 1.5, HIDDEN)), n.const(n.rng.normal(0, 0.1, HIDDEN))
    emb, mask_index = n.op("EmbedLayerNormalization", [ids, "", table[0], table[1], "", gamma, beta], n_out=2,
                           domain="com.microsoft", epsilon=1e-5)
    w, b = n.const(n.rng.normal(0, HIDDEN ** -0.5, (HIDDEN, 3 * HIDDEN))), n.const(n.rng.normal(0, 0.1, 3 * HIDDEN))
    att, present = n.op("Attention", [emb, w, b, "left_padding_mask", "past"], n_out=2,
                        domain="com.microsoft", num_heads=Q_HEADS, unidirectional=1,
                        mask_filter_value=float(np.finfo(np.float32).min))
    y = n.op("Add", [emb, n.linear(att, HIDDEN, HIDDEN)])
    w2 = n.const(n.rng.normal(0, HIDDEN ** -0.5, (HIDDEN, 3 * HIDDEN)))
    mask = n.op("ReduceSum", [n.op("Cast", ["attention_mask"], to=TensorProto.INT32), n.constant_node([1])],
                keepdims=0)  # the optimizer's MaskReduceSum: a 1-D mask_index
    att2 = n.op("Attention", [y, w2, "", mask, "", "attention_bias"], domain="com.microsoft", num_heads=Q_HEADS,
                scale=1.0)
    y = n.op("Add", [y, att2])
    total = past + SEQ
    return n.finish([("input_ids", TensorProto.INT64, ["N", SEQ]),
                     ("left_padding_mask", TensorProto.INT32, ["N", total]),
                     ("past", TensorProto.FLOAT, [2, "N", Q_HEADS, past, HEAD]),
                     ("attention_mask", TensorProto.INT64, ["N", SEQ]),
                     ("attention_bias", TensorProto.FLOAT, [1, Q_HEADS, SEQ, SEQ])],
                    [(y, "output", ["N", SEQ, HIDDEN]), (present, "present", [2, "N", Q_HEADS, total, HEAD]),
                     (mask_index, "mask_index", ["N"], TensorProto.INT32)], contrib=True)


def rotary_contrib(rng):
    """com.microsoft RotaryEmbedding as the optimizer writes it for Phi / LLaMA: 3-D input
    without num_heads (heads of the caches' width) at positions from one offset; 4-D
    [B, N, S, H] at position_ids, interleaved, rotating the first 8 of 16; and at
    position ids [1, S] (exported at batch 1: onnxruntime refuses them at batch 2, so
    its oracle expands them)."""
    models, seed = [], int(rng.integers(1 << 30))
    for oracle in (False, True):
        models.append(_rotary_contrib(np.random.default_rng(seed), oracle))
    return tuple(models)


def _rotary_contrib(rng, oracle):
    n = Net("rotary_contrib", rng)
    cos, sin = _rope(n, HEAD)
    r1 = n.op("RotaryEmbedding", [_proj(n, "input", HIDDEN), "position_offset", cos, sin], domain="com.microsoft")
    x4 = n.op("Transpose", [n.op("Reshape", [_proj(n, "input", HIDDEN), n.constant_node([0, 0, Q_HEADS, HEAD])])],
              perm=[0, 2, 1, 3])
    cos8, sin8 = _rope(n, 8)
    r2 = n.op("RotaryEmbedding", [x4, "position_ids", cos8, sin8], domain="com.microsoft", interleaved=1,
              num_heads=Q_HEADS, rotary_embedding_dim=8)
    r2 = n.op("Reshape", [n.op("Transpose", [r2], perm=[0, 2, 1, 3]), n.constant_node([0, 0, HIDDEN])])
    steps = n.const(np.arange(SEQ).reshape(1, SEQ) + 3, np.int64)
    if oracle:
        batch = n.op("Slice", [n.op("Shape", ["input"]), n.constant_node([0]), n.constant_node([1])])
        steps = n.op("Expand", [steps, n.op("Concat", [batch, n.constant_node([SEQ])], axis=0)])
    r3 = n.op("RotaryEmbedding", [_proj(n, "input", HIDDEN), steps, cos, sin], domain="com.microsoft",
              num_heads=Q_HEADS)
    y = n.op("Add", [n.op("Add", [r1, r2]), r3])
    return n.finish([("input", TensorProto.FLOAT, ["N", SEQ, HIDDEN]), ("position_offset", TensorProto.INT64, [1]),
                     ("position_ids", TensorProto.INT64, ["N", SEQ])],
                    [(y, "output", ["N", SEQ, HIDDEN])], contrib=True)


MODELS.update({f.__name__: f for f in (mha_encoder, mha_decoder, mha_cross, mha_packed, ort_attention_past,
                                        rotary_contrib)})
