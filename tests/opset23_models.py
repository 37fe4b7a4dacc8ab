"""A decoder block of opset 23, the way recent exporters write LLMs: RMSNormalization,
RotaryEmbedding at positions after a KV cache, grouped-query Attention (3-D inputs,
causal, past_key / past_value in, present_key / present_value out) and a SiLU-gated MLP.
nngpu expands Attention and RotaryEmbedding into standard ops once shapes are known."""
import numpy as np
from onnx import TensorProto

from make_models import Net

HIDDEN, Q_HEADS, KV_HEADS, HEAD = 64, 8, 2, 8
SEQ, PAST = 6, 4


def _rope_caches(n, positions, rot):
    inv = 1.0 / (10000 ** (np.arange(0, rot, 2) / rot))
    ang = np.outer(np.arange(positions), inv)
    return n.const(np.cos(ang)), n.const(np.sin(ang))


def decoder23(rng):
    n = Net("decoder23", rng)
    x = "input"
    h = n.op("RMSNormalization", [x, n.const(rng.uniform(0.5, 1.5, HIDDEN))], axis=-1, epsilon=1e-5)
    q = n.linear(h, HIDDEN, Q_HEADS * HEAD)
    k = n.linear(h, HIDDEN, KV_HEADS * HEAD)
    v = n.linear(h, HIDDEN, KV_HEADS * HEAD)
    # positions PAST .. PAST + SEQ - 1 for every sample: Expand to [N, SEQ]
    batch = n.op("Slice", [n.op("Shape", [x]), n.constant_node([0]), n.constant_node([1])])
    shape = n.op("Concat", [batch, n.constant_node([SEQ])], axis=0)
    pos = n.op("Expand", [n.constant_node([list(range(PAST, PAST + SEQ))]), shape])
    cos, sin = _rope_caches(n, PAST + SEQ + 6, HEAD)
    q = n.op("RotaryEmbedding", [q, cos, sin, pos], num_heads=Q_HEADS)
    k = n.op("RotaryEmbedding", [k, cos, sin, pos], num_heads=KV_HEADS)
    att, present_k, present_v = n.op("Attention", [q, k, v, "", "past_key", "past_value"], n_out=3,
                                     q_num_heads=Q_HEADS, kv_num_heads=KV_HEADS, is_causal=1)
    x2 = n.op("Add", [x, n.linear(att, HIDDEN, HIDDEN)])
    h2 = n.op("RMSNormalization", [x2, n.const(rng.uniform(0.5, 1.5, HIDDEN))], axis=-1, epsilon=1e-5)
    gate = n.linear(h2, HIDDEN, 2 * HIDDEN)
    mlp = n.op("Mul", [n.op("Mul", [gate, n.op("Sigmoid", [gate])]), n.linear(h2, HIDDEN, 2 * HIDDEN)])
    y = n.op("Add", [x2, n.linear(mlp, 2 * HIDDEN, HIDDEN)])
    cache = ["N", KV_HEADS, PAST, HEAD]
    return n.finish([("input", TensorProto.FLOAT, ["N", SEQ, HIDDEN]),
                     ("past_key", TensorProto.FLOAT, cache), ("past_value", TensorProto.FLOAT, cache)],
                    [(y, "output", ["N", SEQ, HIDDEN]),
                     (present_k, "present_key", ["N", KV_HEADS, PAST + SEQ, HEAD]),
                     (present_v, "present_value", ["N", KV_HEADS, PAST + SEQ, HEAD])], opset=23)


MODELS = {f.__name__: f for f in (decoder23,)}
