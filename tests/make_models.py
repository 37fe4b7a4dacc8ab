#!/usr/bin/env python3
"""Builds small end-to-end models with random weights and their onnxruntime outputs.

Each model (these, the model-zoo architectures of zoo_models.py and the opset 1-6
models of legacy_models.py) is
written at batch 1 and batch 2 as OUTDIR/<model>_b<N>/ holding model.onnx
(batch dimension symbolic), input_<i>.npy (zoo_models.feeds: random normal,
token ids, masks) and output_<i>.npy (onnxruntime, CPU, graph optimizations
off): the layout tests/case_runner.c reads. Weights are random, never zero, with a fixed seed;
BatchNormalization gets random statistics so folding it is really tested.
The ORT_OPTIMIZED models are also written as onnxruntime saves them after its
graph optimizations (<model>_ortopt_b<N>: com.microsoft fused ops), and the
ORT_TRANSFORMERS ones as onnxruntime.transformers' optimizer writes them
(<model>_ortrf_b<N>: Attention, EmbedLayerNormalization), with the original
model's outputs.
"""
import argparse
import os
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

OPSET = 13


class Net:
    """A graph under construction: nodes, initializers, unique names."""

    def __init__(self, name, rng):
        self.name, self.rng = name, rng
        self.nodes, self.inits = [], []
        self.count = {}
        self.value_info = []  # shapes ONNX's inference cannot tell (deprecated ops)

    def fresh(self, prefix):
        self.count[prefix] = self.count.get(prefix, 0) + 1
        return f"{prefix}{self.count[prefix]}"

    def const(self, value, dtype=np.float32, prefix="w"):
        name = self.fresh(prefix)
        self.inits.append(numpy_helper.from_array(np.asarray(value, dtype), name))
        return name

    def constant_node(self, value, dtype=np.int64):
        """A Constant node, the way PyTorch exports literals."""
        out = self.fresh("const")
        self.nodes.append(helper.make_node(
            "Constant", [], [out], name=out,
            value=numpy_helper.from_array(np.asarray(value, dtype), out + "_value")))
        return out

    def op(self, op_type, inputs, n_out=1, **attrs):
        name = self.fresh(op_type.lower())
        outs = [f"{name}_out{i}" if n_out > 1 else f"{name}_out" for i in range(n_out)]
        self.nodes.append(helper.make_node(op_type, inputs, outs, name=name, **attrs))
        return outs if n_out > 1 else outs[0]

    # ---- layers --------------------------------------------------------------

    def conv(self, x, cin, cout, k, stride=1, pad=None, group=1, bias=True):
        pad = k // 2 if pad is None else pad
        ph, pw = pad if isinstance(pad, tuple) else (pad, pad)
        fan_in = cin // group * k * k
        w = self.const(self.rng.normal(0, np.sqrt(2.0 / fan_in), (cout, cin // group, k, k)))
        inputs = [x, w]
        if bias:
            inputs.append(self.const(self.rng.normal(0, 0.1, cout), prefix="b"))
        return self.op("Conv", inputs, kernel_shape=[k, k], strides=[stride, stride],
                       pads=[ph, pw, ph, pw], group=group)

    def bn(self, x, c):
        r = self.rng
        params = [r.uniform(0.5, 1.5, c), r.normal(0, 0.1, c), r.normal(0, 0.1, c),
                  r.uniform(0.5, 1.5, c)]
        return self.op("BatchNormalization", [x] + [self.const(p, prefix="bn") for p in params],
                       epsilon=1e-5)

    def relu6(self, x):
        return self.op("Clip", [x, self.const(0.0, prefix="min"), self.const(6.0, prefix="max")])

    def conv_bn(self, x, cin, cout, k, stride=1, group=1, act="relu"):
        y = self.bn(self.conv(x, cin, cout, k, stride, group=group, bias=False), cout)
        if act == "relu":
            return self.op("Relu", [y])
        if act == "relu6":
            return self.relu6(y)
        return y

    def classifier(self, x, c, classes=10):
        y = self.op("Flatten", [self.op("GlobalAveragePool", [x])], axis=1)
        w = self.const(self.rng.normal(0, np.sqrt(1.0 / c), (classes, c)))
        b = self.const(self.rng.normal(0, 0.1, classes), prefix="b")
        return self.op("Gemm", [y, w, b], transB=1)

    def linear(self, x, din, dout):
        """MatMul + bias Add, the transformer way."""
        w = self.const(self.rng.normal(0, np.sqrt(1.0 / din), (din, dout)))
        return self.op("Add", [self.op("MatMul", [x, w]),
                               self.const(self.rng.normal(0, 0.1, dout), prefix="b")])

    def model(self, in_shape, out, out_shape=None, opset=OPSET):
        """The finished model; out_shape (without batch) where inference can't tell."""
        return self.finish([("input", TensorProto.FLOAT, ["N"] + list(in_shape))],
                           [(out, "output", ["N"] + list(out_shape) if out_shape else None)],
                           opset)

    def finish(self, inputs, outputs, opset=OPSET, contrib=False):
        """The finished model: inputs (name, elem type, dims), outputs (tensor, new name,
        dims or None where inference can tell[, elem type: float by default]); contrib:
        it holds onnxruntime's com.microsoft ops (ONNX's checker does not know them)."""
        graph = helper.make_graph(
            self.nodes, self.name,
            [helper.make_tensor_value_info(*i) for i in inputs],
            [helper.make_tensor_value_info(o[1], o[3] if len(o) > 3 else TensorProto.FLOAT, o[2])
             for o in outputs],
            self.inits, value_info=self.value_info)
        rename = {o[0]: o[1] for o in outputs}
        for node in graph.node:
            node.input[:] = [rename.get(i, i) for i in node.input]
            node.output[:] = [rename.get(o, o) for o in node.output]
        opsets = [helper.make_opsetid("", opset)] + [helper.make_opsetid("com.microsoft", 1)] * contrib
        m = helper.make_model(graph, producer_name="nngpu make_models.py", opset_imports=opsets)
        m.ir_version = 8
        if contrib:
            return m
        m = onnx.shape_inference.infer_shapes(m, strict_mode=True)
        # values whose shape inference could not tell (a Loop's, a sequence's), which the checker refuses
        kept = [vi for vi in m.graph.value_info if vi.type.tensor_type.HasField("shape")]
        del m.graph.value_info[:]
        m.graph.value_info.extend(kept)
        onnx.checker.check_model(m, full_check=True)
        return m


# ---- the models --------------------------------------------------------------------

def mobilenet_v2(rng):
    n = Net("mobilenet_v2", rng)
    x = n.conv_bn("input", 3, 16, 3, stride=2, act="relu6")
    c = 16
    for expand, cout, stride in ((1, 16, 1), (6, 24, 2), (6, 24, 1), (6, 32, 2), (6, 32, 1)):
        hidden = c * expand
        y = n.conv_bn(x, c, hidden, 1, act="relu6") if expand != 1 else x
        y = n.conv_bn(y, hidden, hidden, 3, stride=stride, group=hidden, act="relu6")
        y = n.conv_bn(y, hidden, cout, 1, act=None)
        x = n.op("Add", [x, y]) if stride == 1 and c == cout else y
        c = cout
    x = n.conv_bn(x, c, 64, 1, act="relu6")
    return n.model([3, 64, 64], n.classifier(x, 64))


def resnet(rng):
    n = Net("resnet", rng)
    x = n.conv_bn("input", 3, 16, 3, stride=2)
    x = n.op("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    c = 16
    for cout, stride in ((16, 1), (16, 1), (32, 2), (32, 1), (64, 2)):
        y = n.conv_bn(x, c, cout, 3, stride=stride)
        y = n.conv_bn(y, cout, cout, 3, act=None)
        short = x if stride == 1 and c == cout else n.conv_bn(x, c, cout, 1, stride, act=None)
        x = n.op("Relu", [n.op("Add", [y, short])])
        c = cout
    return n.model([3, 64, 64], n.classifier(x, c))


def squeezenet(rng):
    n = Net("squeezenet", rng)

    def fire(x, cin, squeeze, expand):
        s = n.op("Relu", [n.conv(x, cin, squeeze, 1)])
        e1 = n.op("Relu", [n.conv(s, squeeze, expand, 1)])
        e3 = n.op("Relu", [n.conv(s, squeeze, expand, 3)])
        return n.op("Concat", [e1, e3], axis=1)

    pool = dict(kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)
    x = n.op("Relu", [n.conv("input", 3, 32, 3, stride=2)])      # 32x32
    x = n.op("MaxPool", [x], **pool)                             # 16x16 (ceil)
    x = fire(x, 32, 8, 16)
    x = fire(x, 32, 8, 16)
    x = n.op("MaxPool", [x], **pool)                             # 8x8
    x = fire(x, 32, 16, 32)
    x = n.op("Dropout", [x, n.const(0.5, prefix="ratio")])  # inference: identity
    x = n.op("Relu", [n.conv(x, 64, 10, 1)])
    x = n.op("AveragePool", [x], kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1],
             count_include_pad=0)
    x = n.op("AveragePool", [x], kernel_shape=[8, 8])
    return n.model([3, 64, 64], n.op("Flatten", [x], axis=1))


def shufflenet(rng):
    n = Net("shufflenet", rng)

    def shuffle(x, c, hw):
        y = n.op("Reshape", [x, n.const([0, 2, c // 2, hw, hw], np.int64, "shape")])
        y = n.op("Transpose", [y], perm=[0, 2, 1, 3, 4])
        return n.op("Reshape", [y, n.const([0, c, hw, hw], np.int64, "shape")])

    def branch(x, cin, cout, stride, group):
        y = n.conv_bn(x, cin, cout, 1, group=group)
        y = n.conv_bn(y, cout, cout, 3, stride=stride, group=cout, act=None)
        return n.conv_bn(y, cout, cout, 1)

    def unit(x, c, hw, use_slice):
        half = c // 2
        if use_slice:
            ax = n.const([1], np.int64, "axes")
            a = n.op("Slice", [x, n.const([0], np.int64, "starts"),
                               n.const([half], np.int64, "ends"), ax])
            b = n.op("Slice", [x, n.const([half], np.int64, "starts"),
                               n.const([c], np.int64, "ends"), ax])
        else:
            a, b = n.op("Split", [x, n.const([half, half], np.int64, "split")], n_out=2, axis=1)
        return shuffle(n.op("Concat", [a, branch(b, half, half, 1, 2)], axis=1), c, hw)

    def down(x, cin, cout, hw):
        left = n.conv_bn(x, cin, cin, 3, stride=2, group=cin, act=None)
        left = n.conv_bn(left, cin, cout // 2, 1)
        right = branch(x, cin, cout // 2, 2, 1)
        return shuffle(n.op("Concat", [left, right], axis=1), cout, hw // 2)

    x = n.conv_bn("input", 3, 24, 3, stride=2)                               # 32x32
    x = n.op("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])  # 16
    x = down(x, 24, 48, 16)                                                  # 8x8
    x = unit(x, 48, 8, use_slice=False)
    x = unit(x, 48, 8, use_slice=True)
    x = down(x, 48, 96, 8)                                                   # 4x4
    x = unit(x, 96, 4, use_slice=False)
    x = n.conv_bn(x, 96, 128, 1)
    return n.model([3, 64, 64], n.classifier(x, 128))


def transformer(rng, seq=16, dim=32, heads=2, ffn=64):
    n = Net("transformer", rng)
    hd = dim // heads

    def layer_norm(x):
        axes = dict(axes=[-1])
        mean = n.op("ReduceMean", [x], **axes)
        d = n.op("Sub", [x, mean])
        var = n.op("ReduceMean", [n.op("Pow", [d, n.const(2.0, prefix="two")])], **axes)
        std = n.op("Sqrt", [n.op("Add", [var, n.const(1e-5, prefix="eps")])])
        y = n.op("Div", [d, std])
        y = n.op("Mul", [y, n.const(rng.uniform(0.5, 1.5, dim), prefix="gamma")])
        return n.op("Add", [y, n.const(rng.normal(0, 0.1, dim), prefix="beta")])

    def heads_of(x, perm):
        y = n.op("Reshape", [x, n.const([0, 0, heads, hd], np.int64, "shape")])
        return n.op("Transpose", [y], perm=perm)

    def gelu(x):
        e = n.op("Erf", [n.op("Div", [x, n.const(np.sqrt(2.0), prefix="sqrt2")])])
        y = n.op("Mul", [x, n.op("Add", [e, n.const(1.0, prefix="one")])])
        return n.op("Mul", [y, n.const(0.5, prefix="half")])

    x = "input"
    h = layer_norm(x)
    q = heads_of(n.linear(h, dim, dim), [0, 2, 1, 3])
    k = heads_of(n.linear(h, dim, dim), [0, 2, 3, 1])
    v = heads_of(n.linear(h, dim, dim), [0, 2, 1, 3])
    scores = n.op("Mul", [n.op("MatMul", [q, k]), n.const(1.0 / np.sqrt(hd), prefix="scale")])
    att = n.op("MatMul", [n.op("Softmax", [scores], axis=-1), v])
    att = n.op("Transpose", [att], perm=[0, 2, 1, 3])
    att = n.op("Reshape", [att, n.const([0, 0, dim], np.int64, "shape")])
    x = n.op("Add", [x, n.linear(att, dim, dim)])
    h = n.linear(gelu(n.linear(layer_norm(x), dim, ffn)), ffn, dim)
    return n.model([seq, dim], n.op("Add", [x, h]))


def unet(rng):
    n = Net("unet", rng)

    def block(x, cin, cout):
        return n.op("Relu", [n.conv(x, cin, cout, 3)])

    e1 = block("input", 3, 8)                                            # 32x32
    e2 = block(n.op("MaxPool", [e1], kernel_shape=[2, 2], strides=[2, 2]), 8, 16)  # 16
    e3 = block(n.op("MaxPool", [e2], kernel_shape=[2, 2], strides=[2, 2]), 16, 16)  # 8
    no_roi = ""
    up3 = n.op("Resize", [e3, no_roi, n.const([1, 1, 2, 2], prefix="scales")],
               mode="linear", coordinate_transformation_mode="half_pixel")
    d2 = block(n.op("Concat", [up3, e2], axis=1), 32, 16)
    up2 = n.op("Resize", [d2, no_roi, n.const([1, 1, 2, 2], prefix="scales")], mode="nearest")
    d1 = n.op("Concat", [up2, e1], axis=1)
    # An explicit zero Pad before an unpadded conv (Pad fusion), and a reflect Pad.
    d1 = n.op("Pad", [d1, n.const([0, 0, 1, 1, 0, 0, 1, 1], np.int64, "pads")],
              mode="constant")
    d1 = n.op("Relu", [n.conv(d1, 24, 8, 3, pad=0)])
    d1 = n.op("Pad", [d1, n.const([0, 0, 1, 1, 0, 0, 1, 1], np.int64, "pads")], mode="reflect")
    d1 = n.op("Relu", [n.conv(d1, 8, 8, 3, pad=0)])
    return n.model([3, 32, 32], n.conv(d1, 8, 2, 1))


def pytorch_reshape(rng):
    """Flatten the way torch.onnx exports x.view(x.size(0), -1)."""
    n = Net("pytorch_reshape", rng)
    x = n.op("Relu", [n.conv("input", 3, 8, 3, stride=2)])       # 8x8x8
    x = n.op("Identity", [x])
    batch = n.op("Gather", [n.op("Shape", [x]), n.constant_node(0)], axis=0)
    shape = n.op("Concat", [n.op("Unsqueeze", [batch, n.constant_node([0])]),
                            n.constant_node([-1])], axis=0)
    x = n.op("Reshape", [x, shape])
    w = n.const(rng.normal(0, np.sqrt(1.0 / 512), (512, 10)))
    x = n.op("Add", [n.op("MatMul", [x, w]), n.const(rng.normal(0, 0.1, 10), prefix="b")])
    return n.model([3, 16, 16], n.op("Identity", [x]), out_shape=[10])


MODELS = {f.__name__: f for f in (mobilenet_v2, resnet, squeezenet, shufflenet, transformer,
                                  unet, pytorch_reshape)}


# ---- writing cases --------------------------------------------------------------------

def run_onnxruntime(model, xs):
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(model.SerializeToString(), opts,
                                providers=["CPUExecutionProvider"])
    return sess.run(None, {i.name: x for i, x in zip(sess.get_inputs(), xs)})


# models also run as an onnxruntime session saves them after its optimizations
ORT_OPTIMIZED = ("mobilenet_v2", "efficientnet", "bert", "gpt2")
# and as onnxruntime.transformers' optimizer writes them: (model type, heads, hidden size)
ORT_TRANSFORMERS = {"bert": ("bert", 4, 32)}


def ort_optimized(model):
    """The model as onnxruntime writes it after its "extended" optimizations
    (SessionOptions.optimized_model_filepath): com.microsoft FusedConv, FusedGemm,
    FusedMatMul, BiasGelu, FastGelu, QuickGelu, SkipLayerNormalization."""
    with tempfile.TemporaryDirectory() as tmp:
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        opts.optimized_model_filepath = os.path.join(tmp, "optimized.onnx")
        ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
        return onnx.load(opts.optimized_model_filepath)


def ort_transformers_optimized(model, model_type, heads, hidden):
    """The model as onnxruntime.transformers' optimizer (Hugging Face Optimum's)
    writes it: com.microsoft Attention, EmbedLayerNormalization, SkipLayerNormalization,
    BiasGelu."""
    import logging
    from onnxruntime.transformers import optimizer
    logging.getLogger("onnxruntime.transformers").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "in.onnx"), os.path.join(tmp, "out.onnx")
        onnx.save(model, src)
        optimizer.optimize_model(src, model_type=model_type, num_heads=heads, hidden_size=hidden,
                                 opt_level=0).save_model_to_file(dst)
        return onnx.load(dst)


def write_case(case_dir, model, xs, outputs):
    os.makedirs(case_dir, exist_ok=True)
    onnx.save(model, os.path.join(case_dir, "model.onnx"))
    for i, x in enumerate(xs):
        np.save(os.path.join(case_dir, f"input_{i}.npy"), x)
    for i, y in enumerate(outputs):
        np.save(os.path.join(case_dir, f"output_{i}.npy"), y)


def main():
    import contrib_attention_models
    import control_models
    import legacy_models
    import opset23_models
    import zoo_models  # imports this module's Net
    builders = dict(MODELS, **zoo_models.MODELS, **legacy_models.MODELS, **control_models.MODELS,
                    **opset23_models.MODELS, **contrib_attention_models.MODELS)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--batches", default="1,2", help="comma-separated batch sizes")
    ap.add_argument("--models", default=",".join(builders),
                    help="comma-separated subset of: " + ", ".join(builders))
    args = ap.parse_args()

    batches = [int(b) for b in args.batches.split(",")]
    names = [m for m in args.models.split(",") if m]
    unknown = [m for m in names if m not in builders]
    if unknown:
        ap.error(f"unknown model(s): {', '.join(unknown)}")
    count = 0
    for name in names:
        rng = np.random.default_rng([args.seed, list(builders).index(name)])
        model = builders[name](rng)
        # legacy_models: the old model and the opset-13 one that means the same (run by onnxruntime)
        model, oracle = model if isinstance(model, tuple) else (model, model)
        variants = [(name, model)]
        if name in ORT_OPTIMIZED:
            variants.append((f"{name}_ortopt", ort_optimized(model)))
        if name in ORT_TRANSFORMERS:
            variants.append((f"{name}_ortrf", ort_transformers_optimized(model, *ORT_TRANSFORMERS[name])))
        for batch in batches:
            xs = zoo_models.feeds(model, batch, rng)
            outputs = run_onnxruntime(oracle, xs)
            for label, m in variants:  # the optimized model must give the original's outputs
                case = f"{label}_b{batch}"
                write_case(os.path.join(args.outdir, case), m, xs, outputs)
                count += 1
                shapes = ", ".join(str(list(y.shape)) for y in outputs)
                print(f"{case}: {len(m.graph.node)} nodes, inputs "
                      f"{[list(x.shape) for x in xs]} -> {shapes}")
    print(f"model cases: {count} written to {args.outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
